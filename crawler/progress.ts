import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { pino, type Logger } from 'pino';
import type { RunCounters } from './context.js';
import type { CrawlProgress, CrawlSummary } from './run.js';

export interface CrawlReporter {
  log: Logger;
  onProgress(progress: CrawlProgress): void;
  stop(): void;
}

/**
 * On a terminal: a progress bar, and only warnings, as lines a person reads (pino-pretty, loaded only then) above it.
 * Otherwise (cron, docker, pipes): structured JSON logs on stderr, one line per event.
 */
export async function createCrawlReporter(opts: {
  tty: boolean;
  verbose?: boolean;
  /** where the bar and the lines go on a terminal (default stderr) */
  terminal?: NodeJS.WriteStream;
}): Promise<CrawlReporter> {
  if (!opts.tty) {
    const log = pino({ level: opts.verbose ? 'debug' : 'info' }, pino.destination(2));
    return { log, onProgress: () => {}, stop: () => {} };
  }
  const { default: pretty } = await import('pino-pretty');
  const terminal = opts.terminal ?? process.stderr;
  // The bar is redrawn on the next line: clear it from this one first.
  const aboveTheBar = new Writable({
    write(chunk: Buffer, _encoding, done) {
      terminal.write(`\r\x1b[2K${chunk.toString()}`, done);
    },
  });
  const log = pino(
    { level: opts.verbose ? 'debug' : 'warn' },
    pretty({ destination: aboveTheBar, singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss', colorize: terminal.hasColors() }),
  );
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} items | {requests} requests | {threads} threads | {attachments} attachments | {errors} errors',
      hideCursor: true,
      clearOnComplete: true,
      stream: terminal,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    log,
    onProgress: ({ counters, pending, done }) => {
      const payload = {
        requests: counters.requests,
        threads: counters.newRequests + counters.changedRequests,
        attachments: counters.attachments,
        errors: counters.errors,
      };
      if (!started) {
        bar.start(done + pending, done, payload);
        started = true;
      } else {
        bar.setTotal(done + pending);
        bar.update(done, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `1 page`, `2 pages`. */
function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The few lines an operator reads after a run. */
export function formatSummary(summary: CrawlSummary): string {
  const c: RunCounters = summary.counters;
  const seconds = Math.max(0.001, (summary.endedAt.getTime() - summary.startedAt.getTime()) / 1000);
  const lines = [
    `run ${summary.runId}${summary.resumed ? ' (resumed)' : ''}: ${summary.outcome} in ${seconds.toFixed(1)} s`,
    `  requests: ${c.requests} (${c.json} JSON, ${count(c.pages, 'page')}, ${count(c.listings, 'listing')}, ${count(c.attachments, 'attachment')}; ${count(c.retries, 'retry', 'retries')}, ${c.notModified} not modified), ${mib(c.bytes)} received`,
    `  threads:  ${c.newRequests} new, ${c.changedRequests} changed, ${c.unchangedRequests} unchanged, ${c.renamedRequests} renamed, ${c.removedRequests} removed`,
    `  stored:   ${count(c.attachments, 'attachment download')} (${mib(c.attachmentBytes)})${c.maskingRequeued ? `, ${c.maskingRequeued} waited for masking` : ''}${c.attachmentsTooLarge ? `, ${c.attachmentsTooLarge} over the size limit and left out` : ''}${c.attachmentsOffSite ? `, ${c.attachmentsOffSite} off the site and left out` : ''}${c.attachmentsDisallowed ? `, ${c.attachmentsDisallowed} forbidden by robots.txt and left out` : ''}`,
  ];
  if (c.slowAnswers) {
    lines.push(`  pace:     ${count(c.slowAnswers, 'answer')} slow enough that the crawl waited twice as long after them as the site took`);
  }
  if (c.notPublicRequests) {
    lines.push(`  unknown:  ${count(c.notPublicRequests, 'request')} the site does not serve to the public and the archive never had (a mistyped slug, or hidden or embargoed; see the log)`);
  }
  if (c.errors) lines.push(`  errors:   ${c.errors} (see the log)${c.failedItems ? `; ${count(c.failedItems, 'item')} given up on` : ''}`);
  if (c.carriedItems) lines.push(`  retried:  ${count(c.carriedItems, 'thread')} an earlier run gave up on`);
  if (c.listingsCutShort) lines.push('  gap:      the newest-first listing ended before the last run\'s mark (see the log)');
  if (summary.extraction) {
    const { completed, failed, requeued, stopped, interrupted } = summary.extraction;
    const cutShort = stopped ? `; stopped: ${stopped}` : interrupted ? `; ${interrupted}: the documents left wait in the queue` : '';
    lines.push(`  text:     ${count(completed, 'document')} extracted, ${failed} failed${requeued ? `, ${requeued} to be tried again` : ''}${cutShort}`);
  }
  if (summary.error) lines.push(`  ${summary.outcome === 'failed' ? 'failed: ' : 'stopped:'}  ${summary.error}`);
  return lines.join('\n');
}
