import { Option, type Command } from 'commander';
import type { JobOverview } from '../../storage/index.js';
import { FOR_WRITING, globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { printable } from '../format.js';
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
    .addOption(
      new Option('--failed', 'extract nothing: list the documents whose extraction failed, with why, and how many jobs are in each state').conflicts([
        'retryFailed',
        'watch',
        'concurrency',
      ]),
    )
    .action(async (opts: { watch?: boolean; poll: number; concurrency?: number; retryFailed?: boolean; failed?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      if (opts.failed) {
        const overview = await withArchive(globals, (archive) => archive.jobs.overview(FAILED_LISTED));
        if (globals.json) printJson(overview);
        else process.stdout.write(printable(formatOverview(overview)));
        return;
      }
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

/** Failed documents listed by `work --failed`; the counts say how many there are in all. */
const FAILED_LISTED = 1_000;

function formatOverview({ counts, failed }: JobOverview): string {
  const lines = [`extraction queue: ${counts.pending} waiting, ${counts.running} being extracted, ${counts.done} done, ${counts.failed} failed`];
  for (const job of failed) {
    const where = job.urlTitle ? `${job.filename ?? '(no name)'} in ${job.urlTitle}` : 'held by no attachment';
    lines.push('', `${job.sha256}  ${where}`, `  ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}, last ${job.finishedAt?.toISOString() ?? '?'}: ${job.error ?? 'no reason recorded'}`);
  }
  if (counts.failed > failed.length) lines.push('', `and ${counts.failed - failed.length} more`);
  if (counts.failed > 0) lines.push('', 'work --retry-failed puts them back in the queue');
  return `${lines.join('\n')}\n`;
}
