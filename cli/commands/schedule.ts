import type { Command } from 'commander';
import { globalsOf } from '../context.js';
import { UsageError } from '../errors.js';
import { abortOnSignals, addCrawlOptions, crawlOnce, scopeOf, type CrawlFlags } from './crawl.js';

export function registerSchedule(program: Command): void {
  addCrawlOptions(
    program
      .command('schedule')
      .description('stay up and start a crawl on a cron schedule, never two at once')
      .requiredOption('--cron <expr>', 'when to run, e.g. "15 2 * * *" (02:15 every night)')
      .option('--timezone <tz>', 'time zone of the cron expression (default: this machine\'s)'),
  ).action(async (flags: CrawlFlags & { cron: string; timezone?: string }, command: Command) => {
    const globals = globalsOf(command);
    const { createCrawlReporter, formatSummary, ScheduleError, startSchedule } = await import('../../crawler/index.js');
    const { log } = createCrawlReporter({ tty: false, verbose: globals.verbose ?? false });
    await scopeOf(flags);
    const signals = abortOnSignals();
    let schedule;
    try {
      schedule = startSchedule({
        cron: flags.cron,
        ...(flags.timezone ? { timezone: flags.timezone } : {}),
        log,
        runOnce: async () => {
          const summary = await crawlOnce(globals, flags, { log, signal: signals.signal });
          log.info({ runId: summary.runId, outcome: summary.outcome }, formatSummary(summary));
        },
      });
    } catch (error) {
      signals.dispose();
      if (error instanceof ScheduleError) throw new UsageError(error.message);
      throw error;
    }
    await new Promise<void>((resolve) => signals.signal.addEventListener('abort', () => resolve(), { once: true }));
    log.info('stopping: waiting for a run in progress to end');
    await schedule.stop();
    signals.dispose();
  });
}
