import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
// Types only at the top: the crawler and storage stacks (PGlite, pdf-parse) load when a command runs.
import type { CrawlOptions, CrawlScope, CrawlSummary } from '../../crawler/index.js';
import type { Archive } from '../../storage/index.js';
import { FOR_WRITING, globalsOf, printJson, withArchive, type GlobalOptions } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { collect, duration, isoDate, positiveDecimal, wholeNumber } from '../options.js';

export interface CrawlFlags {
  request?: string[];
  body?: string[];
  user?: string[];
  recent?: boolean;
  backfill?: boolean;
  from?: Date;
  to?: Date;
  all?: boolean;
  ids?: boolean;
  recheck?: number;
  rate?: number;
  maxRequests?: number;
  maxTime?: number;
  contact?: string;
  extract: boolean;
  snapshots?: boolean;
}

/** The crawl flags, shared by `crawl` and `schedule`. */
export function addCrawlOptions(command: Command): Command {
  return command
    .option('--request <slug|url|id>', 'a request by slug, URL or numeric id (repeatable)', collect)
    .option('--body <url_name>', "an authority's requests (repeatable)", collect)
    .option('--user <url_name>', "a user's requests (repeatable)", collect)
    .option('--recent', 'what changed since the last good run (/list, newest first)')
    .option('--backfill', 'requests made between --from and --to (/list by date windows)')
    .option('--from <date>', 'backfill start, YYYY-MM-DD', isoDate('--from'))
    .option('--to <date>', 'backfill end, YYYY-MM-DD (inclusive)', isoDate('--to'))
    .option('--all', 'every authority in /body/all-authorities.csv, and a re-check of every known request')
    .option('--ids', "also walk numeric request ids up to the highest known (finds unlisted requests; only with the site's approval)")
    .option('--recheck <n>', 'also re-check the n known requests checked longest ago (notices status changes and removals no listing shows)', wholeNumber('--recheck', 1, 1_000_000_000))
    .option('--rate <rps>', 'requests per second (default 0.5: one every 2 s)', positiveDecimal('--rate', 1000))
    .option('--max-requests <n>', 'stop the run after this many requests; the next crawl resumes it', wholeNumber('--max-requests', 1, 1_000_000_000))
    .option('--max-time <duration>', 'stop the run (text extraction too) this long after it starts, such as 90m or 4h; the next crawl resumes it', duration('--max-time', 7 * 24 * 3_600_000))
    .addOption(new Option('--contact <email|url>', 'how the site can reach you; put in the User-Agent, required for any public site').env('WDTK_CONTACT'))
    .option('--no-extract', 'leave text extraction to `wdtk-archive work` processes')
    .option('--snapshots', 'render a PDF and PNG snapshot of each thread page captured (needs chromium)');
}

/** The scope the flags ask for, checked: bad combinations are usage errors (exit 2). */
export async function scopeOf(flags: CrawlFlags, site: string): Promise<CrawlScope> {
  const { CrawlScopeError, normalizeScope } = await import('../../crawler/index.js');
  if (flags.backfill && (!flags.from || !flags.to)) throw new UsageError('--backfill needs both --from and --to');
  if (!flags.backfill && (flags.from || flags.to)) throw new UsageError('--from and --to go with --backfill');
  try {
    return normalizeScope({
      requests: flags.request ?? [],
      bodies: flags.body ?? [],
      users: flags.user ?? [],
      recent: flags.recent ?? false,
      backfill: flags.backfill ? { from: flags.from!, to: flags.to! } : null,
      all: flags.all ?? false,
      ids: flags.ids ?? false,
      recheck: flags.recheck ?? 0,
    }, site);
  } catch (error) {
    if (error instanceof CrawlScopeError) throw new UsageError(error.message);
    throw error;
  }
}

/** One run with the given flags against the archive the global options name. */
export async function crawlOnce(
  globals: GlobalOptions,
  flags: CrawlFlags,
  io: { log: Logger; onProgress?: CrawlOptions['onProgress']; signal?: AbortSignal; refuseAfterBlock?: boolean },
): Promise<CrawlSummary> {
  const scope = await scopeOf(flags, globals.site);
  const { assertContactFor, ContactRequiredError, runCrawl, Snapshotter } = await import('../../crawler/index.js');
  const { ArchiveBusyError } = await import('../../storage/index.js');
  const snapshotter = flags.snapshots ? new Snapshotter() : null;
  try {
    await assertContactFor(globals.site, flags.contact);
    return await withArchive(globals, (archive) =>
      runCrawl(archive, {
        site: globals.site,
        scope,
        ...(flags.contact ? { contact: flags.contact } : {}),
        ...(flags.rate !== undefined ? { ratePerSecond: flags.rate } : {}),
        ...(flags.maxRequests !== undefined ? { maxRequests: flags.maxRequests } : {}),
        ...(flags.maxTime !== undefined ? { timeLimitMs: flags.maxTime } : {}),
        extract: flags.extract,
        ...(snapshotter ? { snapshot: (a: Archive, captureId: number) => snapshotter.snapshot(a, captureId) } : {}),
        log: io.log,
        ...(io.onProgress ? { onProgress: io.onProgress } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(io.refuseAfterBlock ? { refuseAfterBlock: true } : {}),
      }),
      FOR_WRITING,
    );
  } catch (error) {
    if (error instanceof ContactRequiredError) throw new CliError(`refusing to crawl: ${error.message}; or set WDTK_CONTACT`);
    if (error instanceof ArchiveBusyError) throw new CliError(`${error.message}: only one run at a time (a crawl, or another command, has it open)`);
    throw error;
  } finally {
    await snapshotter?.close();
  }
}

/** Ctrl-C or SIGTERM ends the run cleanly (outcome 'interrupted'); the next crawl resumes it. */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

export function registerCrawl(program: Command): void {
  addCrawlOptions(program.command('crawl').description('one archival run: polite, incremental, resumable'))
    .action(async (flags: CrawlFlags, command: Command) => {
      const globals = globalsOf(command);
      const { createCrawlReporter, formatSummary } = await import('../../crawler/index.js');
      const reporter = await createCrawlReporter({ tty: process.stderr.isTTY === true && !globals.json, verbose: globals.verbose ?? false });
      const signals = abortOnSignals();
      let summary: CrawlSummary;
      try {
        summary = await crawlOnce(globals, flags, { log: reporter.log, onProgress: reporter.onProgress, signal: signals.signal });
      } finally {
        reporter.stop();
        signals.dispose();
      }
      if (globals.json) printJson(summary);
      else process.stdout.write(`${formatSummary(summary)}\n`);
      // A budget the operator set is no failure: exit 0, as for a finished run; the summary says the run will resume.
      if (summary.outcome !== 'ok' && !summary.budgetSpent) throw new CliError(summary.error ?? `run ${summary.runId} ended ${summary.outcome}`);
      if (summary.extraction?.stopped) throw new CliError(summary.extraction.stopped);
    });
}
