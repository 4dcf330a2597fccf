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
    .option('--retry-failed', 'first put every document whose extraction failed back in the queue (after an upgrade, or installing tesseract)')
    .action(async (opts: { watch?: boolean; poll: number; concurrency?: number; retryFailed?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const { createCrawlReporter, runExtractionWorker } = await import('../../crawler/index.js');
      const { log } = await createCrawlReporter({ tty: false, verbose: globals.verbose ?? false });
      const signals = abortOnSignals();
      try {
        const summary = await withArchive(
          globals,
          async (archive) => {
            if (opts.retryFailed) log.info({ requeued: await archive.jobs.retryFailed() }, 'failed extractions put back in the queue');
            return runExtractionWorker(archive, {
              watch: opts.watch ?? false,
              pollMs: opts.poll * 1000,
              signal: signals.signal,
              log,
              ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
            });
          },
          FOR_WRITING,
        );
        if (globals.json) printJson(summary);
        else {
          const { completed, failed, requeued } = summary;
          process.stdout.write(`extracted ${completed} document${completed === 1 ? '' : 's'}, ${failed} failed${requeued ? `, ${requeued} to be tried again` : ''}\n`);
        }
        if (summary.stopped) throw new CliError(summary.stopped);
        const notExtracted = summary.failed + summary.requeued;
        if (summary.completed === 0 && notExtracted > 0) throw new CliError(`every extraction failed (${notExtracted}); see the log`);
      } finally {
        signals.dispose();
      }
    });
}
