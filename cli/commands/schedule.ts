import type { Command } from 'commander';
import { globalsOf } from '../context.js';
import { CliError, UsageError } from '../errors.js';
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
    const { createCrawlReporter, formatSummary, ScheduleError, ScheduleHaltError, SiteBlockedError, startSchedule } = await import('../../crawler/index.js');
    const { log } = await createCrawlReporter({ tty: false, verbose: globals.verbose ?? false });
    await scopeOf(flags, globals.site);
    const signals = abortOnSignals();
    let schedule;
    try {
      schedule = startSchedule({
        cron: flags.cron,
        ...(flags.timezone ? { timezone: flags.timezone } : {}),
        log,
        runOnce: async () => {
          const summary = await crawlOnce(globals, flags, { log, signal: signals.signal, refuseAfterBlock: true }).catch((error: unknown) => {
            // A restarted schedule (a container's restart policy) must not ask the site again either.
            throw error instanceof SiteBlockedError ? new ScheduleHaltError(error.message) : error;
          });
          log.info({ runId: summary.runId, outcome: summary.outcome }, formatSummary(summary));
          // A challenge or a block: the site asked us to stop, and tomorrow's run would only ask again.
          if (summary.outcome === 'stopped') {
            throw new ScheduleHaltError(`${summary.error ?? `run ${summary.runId} was stopped by the site`}; start it again once the site has agreed to the crawl`);
          }
        },
      });
    } catch (error) {
      signals.dispose();
      if (error instanceof ScheduleError) throw new UsageError(error.message);
      throw error;
    }
    const aborted = new Promise<null>((resolve) => signals.signal.addEventListener('abort', () => resolve(null), { once: true }));
    const endedBy = await Promise.race([aborted, schedule.ended]);
    if (endedBy === null) log.info('stopping: waiting for a run in progress to end');
    await schedule.stop();
    signals.dispose();
    if (endedBy !== null && 'halted' in endedBy) throw new CliError(`schedule stopped: ${endedBy.halted}`);
  });
}
