import type { Command } from 'commander';
import { FOR_WRITING, globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { wholeNumber } from '../options.js';
import { abortOnSignals } from './crawl.js';

export function registerWork(program: Command): void {
  program
    .command('work')
    .description('extract text from queued documents until the queue is empty (run several, on several machines, to go faster)')
    .option('--watch', 'keep waiting for new jobs instead of exiting when the queue is empty')
    .option('--poll <seconds>', 'how often an idle --watch worker looks for jobs (up to a day)', wholeNumber('--poll', 1, 86_400), 5)
    .option('--concurrency <n>', 'documents extracted at once, each in its own thread (default 2, up to 64)', wholeNumber('--concurrency', 1, 64))
    .action(async (opts: { watch?: boolean; poll: number; concurrency?: number }, command: Command) => {
      const globals = globalsOf(command);
      const { createCrawlReporter, runExtractionWorker } = await import('../../crawler/index.js');
      const { log } = createCrawlReporter({ tty: false, verbose: globals.verbose ?? false });
      const signals = abortOnSignals();
      try {
        const summary = await withArchive(globals, (archive) =>
          runExtractionWorker(archive, {
            watch: opts.watch ?? false,
            pollMs: opts.poll * 1000,
            signal: signals.signal,
            log,
            ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
          }),
          FOR_WRITING,
        );
        if (globals.json) printJson(summary);
        else process.stdout.write(`extracted ${summary.completed} document${summary.completed === 1 ? '' : 's'}, ${summary.failed} failed\n`);
        if (summary.stopped) throw new CliError(summary.stopped);
        if (summary.completed === 0 && summary.failed > 0) throw new CliError(`every extraction failed (${summary.failed}); see the log`);
      } finally {
        signals.dispose();
      }
    });
}
