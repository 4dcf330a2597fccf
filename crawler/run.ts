import { rm } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { describeFailure, isStorageUnavailable, LockLostError, OriginalsInUseError, UNFINISHED_RUN_ERROR, type Archive, type LockLost, type FrontierItem, type FrontierRow, type ReleaseLock, type RunRow } from '../storage/index.js';
import { emptyCounters, UnexpectedResponseError, type RunContext, type RunCounters } from './context.js';
import { crawlAuthorities, crawlListing, sweepKnownRequests } from './discovery.js';
import { isSweep, PRIORITY, requestItem, type AttachmentPayload, type ListingScan, type RequestPayload } from './frontier.js';
import {
  BudgetExhaustedError,
  ChallengeError,
  HttpFetchError,
  PoliteFetcher,
  RetryAfterTooLongError,
  SiteDownError,
  RobotsDisallowedError,
  RobotsUnavailableError,
  type PoliteFetcherOptions,
} from './http/index.js';
import { runExtractionWorker, type WorkerSummary } from './extraction.js';
import { KeyedLock } from './keyed-lock.js';
import { coversEverything, describeScope, normalizeScope, seedItems, type CrawlScope, type ScopeInput } from './scope.js';
import { MaskingNeverReadyError, syncMaskedAttachments, syncRequest } from './thread.js';
import { makeProcessTempDir } from './temp-dir.js';
import { SiteUrls } from './urls.js';

export type RunOutcome = 'ok' | 'failed' | 'interrupted' | 'stopped';

export interface CrawlOptions {
  /** Base URL of the Alaveteli site. */
  site: string;
  scope: ScopeInput;
  /** Email or URL for the User-Agent; required for any non-loopback site. */
  contact?: string;
  /** Requests per second; default 0.5 (one every 2 s). */
  ratePerSecond?: number;
  maxRequests?: number;
  /**
   * Stop the run this long after it starts, as a signal would (the request under way abandoned, the rows in hand put
   * back), text extraction in this process included: a nightly run kept to the site's quiet hours. Like `maxRequests`,
   * the operator's budget, not a failure; the next crawl of the same scope resumes it.
   */
  timeLimitMs?: number;
  /** Extract text in this process while and after crawling (default true). */
  extract?: boolean;
  /** Render a PDF/PNG snapshot of each thread page captured. */
  snapshot?: (archive: Archive, captureId: number) => Promise<unknown>;
  log?: Logger;
  onProgress?: (progress: CrawlProgress) => void;
  /** Abort to stop the run cleanly; it ends 'interrupted' and the next crawl resumes it. */
  signal?: AbortSignal;
  /** `--recent` pages back to the last good run minus this (default 1 day). */
  recentMarginMs?: number;
  /**
   * How long to leave an attachment the site is still masking before asking again (default 2 s, the refresh interval
   * of the site's own "Attachment processing…" page); each further ask waits twice as long, up to a minute.
   */
  maskingRetryMs?: number;
  /**
   * Frontier rows worked on at once (default 2): while one row's response is stored and reconciled, another's request
   * can go out. The site sees no difference: every request still goes through the one fetcher, one connection, one
   * request at a time at the rate limit, robots.txt checked.
   */
  workers?: number;
  /**
   * Refuse to start when this site's last run was stopped by a challenge or a block (scheduled runs): only a person
   * who has asked the site should try again, by starting a crawl by hand.
   */
  refuseAfterBlock?: boolean;
  /**
   * How many unseen numeric ids `--ids` queues at a time (default 1,000); the next are queued once those are done, so
   * the frontier stays small however high the site's ids go.
   */
  idWalkChunk?: number;
  /** How long an item that failed waits before its next attempt in the run (default 10 s; tests shorten it). */
  itemRetryMs?: number;
  /** Fetcher tuning beyond rate and budget (tests shorten backoff). */
  fetcher?: Pick<PoliteFetcherOptions, 'backoff' | 'maxAttempts' | 'timeoutMs' | 'maxRetryAfterMs' | 'maxConsecutiveFailures' | 'attemptTimeLimit' | 'maxBodyBytes'>;
}

export interface CrawlProgress {
  runId: number;
  counters: RunCounters;
  /** Frontier rows not yet done. */
  pending: number;
  done: number;
}

export interface CrawlSummary {
  runId: number;
  resumed: boolean;
  scope: CrawlScope;
  outcome: RunOutcome;
  error?: string;
  /**
   * The run stopped at `maxRequests` or `timeLimitMs`: 'interrupted', since it has items left, but where the operator
   * asked it to stop, not a failure (a nightly run with a budget resumes the next night).
   */
  budgetSpent: boolean;
  counters: RunCounters;
  startedAt: Date;
  endedAt: Date;
  extraction: WorkerSummary | null;
}

/** The run's time limit (`timeLimitMs`) has passed: the reason its signal gives. */
export class TimeLimitReachedError extends Error {
  override name = 'TimeLimitReachedError';
  constructor(readonly limitMs: number) {
    super(`time limit of ${formatDuration(limitMs)} reached`);
  }
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The site's last run was stopped by a challenge or a block, and this run was told not to start after one. */
export class SiteBlockedError extends Error {
  override name = 'SiteBlockedError';
  constructor(readonly run: RunRow) {
    super(
      `run ${run.id} was stopped by the site${run.endedAt ? ` at ${run.endedAt.toISOString()}` : ''} (${run.error ?? 'no message'}); ` +
        'a scheduled run does not start after that: once the site has agreed to the crawl, run the crawl once by hand',
    );
  }
}

/** Another crawl holds this archive's run lock. */
export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
  constructor(detail: string) {
    super(`another crawl is already running on this archive${detail}: only one run at a time`);
  }
}

const DAY_MS = 86_400_000;
const ITEM_RETRY_MS = 10_000;
/** 1,000 ids: half an hour of requests at the default rate, and a few hundred KB of frontier rows. */
const DEFAULT_ID_WALK_CHUNK = 1_000;
const ITEM_MAX_ATTEMPTS = 3;
/** Answers to a listing or the authorities CSV that no later attempt in the run would change. */
const NOT_THERE = new Set([404, 410]);

/** A listing page or the authorities CSV: what the run finds threads through. */
const isDiscovery = (row: FrontierRow) => row.kind !== 'request' && row.kind !== 'attachment';

const nothingArchived = (counters: RunCounters) =>
  counters.newRequests + counters.changedRequests + counters.unchangedRequests + counters.removedRequests + counters.attachments === 0;

/** Why a run whose listings all failed did nothing, and, when the site does not have them at all, what to check. */
function nothingListed(origin: string, failure: unknown): string {
  const message = `no listing could be read, so nothing was archived (${describeFailure(failure)})`;
  if (!(failure instanceof UnexpectedResponseError && NOT_THERE.has(failure.status))) return message;
  const path = new URL(failure.url).pathname;
  if (path.startsWith('/body/') && !path.endsWith('.csv')) return `${message}; the site has no authority by that url_name`;
  if (path.startsWith('/user/')) return `${message}; the site has no user by that url_name`;
  return `${message}; check --site: ${origin} does not answer as an Alaveteli site does`;
}

const SAVE_EVERY_MS = 2_000;
/**
 * Frontier rows worked on at once unless `CrawlOptions.workers` says otherwise: 4 crawls 7-8% faster than 2 with the
 * rate limit off (bench/README, Crawler part 15); each row in hand is at most one download repeated after a kill.
 */
export const DEFAULT_CRAWL_WORKERS = 4;
/** How long a worker with nothing to claim waits before looking again, unless another worker finishes a row first. */
const IDLE_POLL_MS = 250;

/** Adds what this process did to what the run had stored before (a resumed run keeps counting). */
function combine(base: Partial<RunCounters>, ours: RunCounters, fetcher: PoliteFetcher): RunCounters {
  const stats = fetcher.stats;
  const total = emptyCounters();
  for (const key of Object.keys(total) as (keyof RunCounters)[]) total[key] = (base[key] ?? 0) + ours[key];
  total.requests += stats.requests;
  total.retries += stats.retries;
  total.notModified += stats.notModified;
  total.slowAnswers += stats.slowAnswers;
  total.bytes += stats.bytes;
  total.newestListedMs = Math.max(base.newestListedMs ?? 0, ours.newestListedMs);
  return total;
}

/** How many runs in a row a thread may be carried into before it is left to the listings or a `crawl --request`. */
export const MAX_CARRIED_RUNS = 7;

/**
 * The last run that saw every change on the site since its own predecessor's mark: `--recent` pages back to the newest
 * event it listed. A run whose listing failed, or ran out before that mark, or that listed nothing, is no mark: the
 * next run would never list again what it missed. Threads it gave up on do not hold the mark back; they are carried
 * into the next run instead (`carriedOver`), or one thread failing every night would make every run page back further.
 */
async function recentMark(archive: Archive, siteId: number): Promise<RunRow | null> {
  const covering = (await archive.runs.list(500)).filter((run) => run.siteId === siteId && coversEverything(run.scope));
  return (
    covering.find(
      (run) =>
        run.outcome === 'ok' &&
        !run.counters['listingsFailed'] &&
        // Runs from before `listingsFailed` was counted did not carry their failed threads over.
        !(run.counters['listingsFailed'] === undefined && run.counters['failedItems']) &&
        !run.counters['listingsCutShort'] &&
        Boolean(run.counters['newestListedMs']),
    ) ?? null
  );
}

/**
 * Threads the covering runs since the mark gave up on (or were handed and never reached), as request items for this
 * run: the listing no longer shows what changed before the mark. Each is carried at most MAX_CARRIED_RUNS times.
 */
async function carriedOver(archive: Archive, siteId: number, runId: number, mark: RunRow | null, urls: SiteUrls, log: Logger): Promise<FrontierItem[]> {
  const since = (await archive.runs.list(500)).filter(
    (run) => run.id !== runId && run.siteId === siteId && coversEverything(run.scope) && run.id >= (mark?.id ?? 0),
  );
  // The run before this one: an item it did not carry was dropped by an earlier run, which said so.
  const previous = Math.max(0, ...since.map((run) => run.id));
  const byKey = new Map<string, { item: FrontierItem & { payload: RequestPayload }; fromRun: number }>();
  for (const row of await archive.frontier.leftOver(since.map((run) => run.id))) {
    if (isSweep(row.payload)) continue;
    const carried = (Number(row.payload?.['carriedRuns']) || 0) + 1;
    const item =
      row.kind === 'attachment'
        ? requestItem(urls, { remoteId: (row.payload as unknown as AttachmentPayload).requestRemoteId })
        : { kind: row.kind, key: row.key, url: row.url, payload: row.payload as RequestPayload, priority: row.priority };
    const seen = byKey.get(item.key);
    if (seen && (seen.item.payload.carriedRuns ?? 0) >= carried) continue;
    byKey.set(item.key, { item: { ...item, payload: { ...(item.payload as RequestPayload), carriedRuns: carried } }, fromRun: row.runId });
  }
  const items: FrontierItem[] = [];
  for (const { item, fromRun } of byKey.values()) {
    if (item.payload.carriedRuns! <= MAX_CARRIED_RUNS) items.push(item);
    else if (fromRun === previous) {
      log.warn(
        { url: item.url, runs: MAX_CARRIED_RUNS },
        'given up on in every run since it was first tried; no longer carried over (it comes back when it changes, or with crawl --request)',
      );
    }
  }
  return items;
}

/** The stored scope of a run: the crawl scope plus the site, compared as JSON to decide on resuming. */
function storedScope(site: string, siteId: number, scope: CrawlScope): Record<string, unknown> {
  // No re-check is left out, so a run stored before `recheck` existed still resumes as the same crawl.
  return { site, siteId, ...scope, recheck: scope.recheck || undefined };
}

/** Key order does not count: jsonb gives keys back in its own order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameScope(row: RunRow, wanted: Record<string, unknown>): boolean {
  return canonicalJson(row.scope) === canonicalJson(wanted);
}

/** Throws ContactRequiredError when the site is public and no contact is given: checked before opening anything. */
export async function assertContactFor(site: string, contact: string | undefined): Promise<void> {
  await new PoliteFetcher({ baseUrl: site, ...(contact ? { contact } : {}) }).close();
}

/**
 * One archival run: politely fetch what the scope covers, store it, reconcile it. The queue lives in
 * Postgres, so a run killed at any point continues where it stopped when the same crawl is started
 * again; one run at a time per archive.
 */
export async function runCrawl(archive: Archive, options: CrawlOptions): Promise<CrawlSummary> {
  const scope = normalizeScope(options.scope, options.site);
  const log = options.log ?? pino({ level: 'silent' });
  // Built first: a public site without a contact refuses here, before anything is written.
  const fetcher = new PoliteFetcher({
    baseUrl: options.site,
    ...(options.contact ? { contact: options.contact } : {}),
    ...(options.ratePerSecond !== undefined ? { ratePerSecond: options.ratePerSecond } : {}),
    ...(options.maxRequests !== undefined ? { maxRequests: options.maxRequests } : {}),
    ...options.fetcher,
    logger: log,
  });
  // A lock whose database connection ended keeps nobody out: the run stops before another can start beside it.
  const lockLost = new AbortController();
  const release = await lockRunAndOriginals(archive, (error) => lockLost.abort(error)).catch(async (error: unknown) => {
    await fetcher.close();
    throw error;
  });
  const timeLimit = new AbortController();
  const timeLimitTimer =
    options.timeLimitMs === undefined ? undefined : setTimeout(() => timeLimit.abort(new TimeLimitReachedError(options.timeLimitMs!)), options.timeLimitMs);
  const signal = AbortSignal.any([...(options.signal ? [options.signal] : []), lockLost.signal, timeLimit.signal]);
  const tmpDir = await makeProcessTempDir('crawl');
  try {
    const urls = new SiteUrls(options.site);
    const siteId = await archive.ensureSite(urls.origin);
    if (options.refuseAfterBlock) {
      const last = (await archive.runs.list(50)).find((run) => run.siteId === siteId && run.outcome !== 'running');
      if (last?.outcome === 'stopped') throw new SiteBlockedError(last);
    }
    const wanted = storedScope(urls.origin, siteId, scope);
    const { runId, resumed, base, startedAt } = await openRun(archive, wanted, log);
    const ctx: RunContext = {
      archive,
      siteId,
      runId,
      fetcher,
      urls,
      counters: emptyCounters(),
      log: log.child({ runId }),
      tmpDir,
      maskingRetryMs: options.maskingRetryMs ?? 2_000,
      idWalkChunk: Math.max(1, Math.floor(options.idWalkChunk ?? DEFAULT_ID_WALK_CHUNK)),
      threads: new KeyedLock(),
      resumed,
      threadsDownloading: new Set(),
      checkedUnchanged: [],
      ...(options.snapshot ? { snapshot: async (captureId: number) => void (await options.snapshot!(archive, captureId)) } : {}),
    };
    if (!resumed) {
      const mark = await recentMark(archive, siteId);
      const cutoff = scope.recent && mark ? new Date(mark.counters['newestListedMs']! - (options.recentMarginMs ?? DAY_MS)) : null;
      const carried = scope.all || scope.recent ? await carriedOver(archive, siteId, runId, mark, urls, ctx.log) : [];
      const rechecks = scope.recheck ? await archive.leastRecentlyChecked(siteId, scope.recheck) : [];
      await archive.frontier.add(runId, [...seedItems(scope, urls, cutoff), ...carried, ...rechecks.map(({ urlTitle, remoteId }) => requestItem(urls, { slug: urlTitle, remoteId }))]);
      ctx.counters.carriedItems = carried.length;
    }
    ctx.log.info({ scope: describeScope(scope), resumed }, resumed ? `resuming run ${runId}` : `run ${runId} started`);

    let crawling = true;
    const stopExtraction = new AbortController();
    const extraction =
      options.extract === false
        ? null
        : runExtractionWorker(archive, { watch: () => crawling, pollMs: 500, log: ctx.log, signal: AbortSignal.any([signal, stopExtraction.signal]) });
    // Awaited once the run is recorded; a failure before then must not end the process as an unhandled rejection.
    extraction?.catch(() => undefined);

    let result: DrainResult;
    try {
      result = await drain(ctx, base, { ...options, signal });
    } catch (error) {
      result = { outcome: 'failed', error: error instanceof Error ? error.message : String(error) };
    } finally {
      crawling = false;
    }
    // Check times only order the next --recheck: losing them must not keep the run from being recorded.
    await archive.markChecked(siteId, ctx.checkedUnchanged.splice(0)).catch((error: unknown) => {
      ctx.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not record the check times of unchanged requests');
    });
    const counters = combine(base, ctx.counters, fetcher);
    await archive.runs.finish(runId, result.outcome, { ...counters }, result.error).catch(async (error: unknown) => {
      // The caller closes the archive once this fails: extraction must not go on writing to it behind the failure.
      stopExtraction.abort();
      await extraction?.catch(() => undefined);
      throw error;
    });
    ctx.log.info({ outcome: result.outcome, counters }, `run ${runId} ended: ${result.outcome}`);
    const extracted = extraction ? await extraction : null;
    return {
      runId,
      resumed,
      scope,
      outcome: result.outcome,
      ...(result.error !== undefined ? { error: result.error } : {}),
      budgetSpent: result.budgetSpent === true,
      counters,
      startedAt,
      endedAt: new Date(),
      extraction: extracted,
    };
  } finally {
    clearTimeout(timeLimitTimer);
    await fetcher.close();
    await rm(tmpDir, { recursive: true, force: true });
    await release();
  }
}

/** The run lock (one crawl at a time), then the originals for writing (no purge beside a crawl); both or neither. */
async function lockRunAndOriginals(archive: Archive, onLost: LockLost): Promise<ReleaseLock> {
  const releaseRun = await archive.lockRuns(onLost);
  if (!releaseRun) {
    const running = (await archive.runs.list(20)).find((run) => run.outcome === 'running');
    throw new RunInProgressError(running ? ` (run ${running.id}, pid ${running.pid ?? '?'} on ${running.host ?? '?'})` : '');
  }
  const releaseOriginals = await archive.lockOriginals('write', onLost).catch(async (error: unknown) => {
    await releaseRun();
    throw error;
  });
  if (!releaseOriginals) {
    await releaseRun();
    throw new OriginalsInUseError('the crawl', 'write');
  }
  return async () => {
    await releaseOriginals();
    await releaseRun();
  };
}

/**
 * Resumes the newest unfinished run of the same crawl, however many runs of other scopes came after it (each run's
 * summary promises that the next crawl with its scope goes on with it). Runs still marked running belong to a process
 * that died, since this one holds the run lock: they are closed as interrupted.
 */
async function openRun(
  archive: Archive,
  wanted: Record<string, unknown>,
  log: Logger,
): Promise<{ runId: number; resumed: boolean; base: Partial<RunCounters>; startedAt: Date }> {
  const unfinished = await archive.runs.unfinished();
  const same = unfinished.find((row) => row.itemsLeft && sameScope(row, wanted));
  for (const row of unfinished) {
    if (row !== same && row.outcome === 'running') {
      await archive.runs.finish(row.id, 'interrupted', row.counters, UNFINISHED_RUN_ERROR);
    }
  }
  if (same) {
    const requeued = await archive.frontier.requeueClaimed(same.id);
    await archive.runs.resume(same.id);
    log.info({ runId: same.id, requeued }, 'the last run of this crawl did not finish: continuing it');
    return { runId: same.id, resumed: true, base: same.counters as Partial<RunCounters>, startedAt: same.startedAt };
  }
  const runId = await archive.runs.start(wanted);
  return { runId, resumed: false, base: {}, startedAt: new Date() };
}

type DrainResult = { outcome: RunOutcome; error?: string; budgetSpent?: true };

/** A run stopped by its signal: Ctrl-C or SIGTERM, the run lock lost, or its time limit. */
function interrupted(signal: AbortSignal | undefined): DrainResult {
  const resumes = 'the next crawl with the same scope resumes it';
  if (signal?.reason instanceof TimeLimitReachedError) return { outcome: 'interrupted', error: `${signal.reason.message}; ${resumes}`, budgetSpent: true };
  const reason = signal?.reason instanceof LockLostError ? `${signal.reason.message}: another run could start beside this one` : 'stopped by a signal';
  return { outcome: 'interrupted', error: `${reason}; ${resumes}` };
}

/** Resolves after `ms`, or as soon as `notify` is called, whichever comes first. */
class Wakeup {
  readonly #waiting = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiting.add(wake);
    });
  }

  notify(): void {
    for (const wake of [...this.#waiting]) wake();
  }
}

/**
 * Claims and processes frontier rows until none is left, or the run has to stop, with `options.workers` rows at
 * most in hand at once. What keeps that equal to one row at a time:
 * - claims are made one after the other, and the sweep (it reads what the listed threads stored) is handed out only
 *   while no other row is in hand; the rows it queues come after it. Rows of the other kinds depend on no other row
 *   being finished (the claim order, highest priority first, is unchanged);
 * - a thread reached by two rows (a rename, its masked attachments) is worked on by one at a time (`ctx.threads`);
 * - the first worker that has to stop the run (a challenge, Retry-After too long, the budget, a signal) stops the others:
 *   they claim nothing more, and the fetcher is closed at once, so no request another worker had queued reaches the
 *   site; each row in hand is finished or put back.
 */
async function drain(ctx: RunContext, base: Partial<RunCounters>, options: CrawlOptions): Promise<DrainResult> {
  const { archive, runId } = ctx;
  const workers = Math.max(1, Math.floor(options.workers ?? DEFAULT_CRAWL_WORKERS));
  let lastSave = Date.now();
  let done = 0;
  const report = async (force: boolean) => {
    if (!force && Date.now() - lastSave < SAVE_EVERY_MS) return;
    lastSave = Date.now();
    await archive.markChecked(ctx.siteId, ctx.checkedUnchanged.splice(0));
    const counters = combine(base, ctx.counters, ctx.fetcher);
    await archive.runs.update(runId, { ...counters });
    options.onProgress?.({ runId, counters, pending: await archive.frontier.pending(runId), done });
  };

  const inHand = new Set<number>();
  // Rows finished since the last claim: the next claim marks them done in its own statement. A process that dies
  // first leaves them claimed, and the resumed run does them again, which changes nothing in the archive.
  let finishedRows: number[] = [];
  let claims: Promise<unknown> = Promise.resolve();
  const claim = (): Promise<FrontierRow | undefined> => {
    const next = claims.then(async () => {
      const finished = finishedRows;
      finishedRows = [];
      // A row in hand longer than the frontier's lease (one slow thread) is still ours: not handed out a second time.
      const [row] = await archive.frontier.claim(runId, 1, {
        finished,
        ...(inHand.size > 0 ? { minPriority: PRIORITY.sweep + 1, inHand: [...inHand] } : {}),
      });
      if (row) inHand.add(row.id);
      return row;
    });
    claims = next.catch(() => undefined);
    return next;
  };
  const finished = new Wakeup();
  let stop: DrainResult | undefined;
  let firstListingFailure: unknown;
  /** Callers call it before their next await: closing the fetcher drops the requests other workers have queued before one can start. */
  const halt = (result: DrainResult, closeFetcher: boolean): Promise<void> => {
    stop ??= result;
    finished.notify();
    return closeFetcher ? ctx.fetcher.close() : Promise.resolve();
  };

  const work = async (row: FrontierRow): Promise<void> => {
    try {
      const retryAt = await processRow(ctx, row);
      if (retryAt) await archive.frontier.retryLater(row.id, retryAt, 'waiting for the site');
      else {
        finishedRows.push(row.id);
        done++;
      }
    } catch (error) {
      if (
        error instanceof ChallengeError ||
        error instanceof BudgetExhaustedError ||
        error instanceof RetryAfterTooLongError ||
        error instanceof SiteDownError ||
        error instanceof RobotsUnavailableError
      ) {
        const closing = halt(
          error instanceof ChallengeError
            ? { outcome: 'stopped', error: error.message }
            : {
                outcome: 'interrupted',
                error: `${error.message}; the next crawl with the same scope resumes it`,
                ...(error instanceof BudgetExhaustedError ? { budgetSpent: true as const } : {}),
              },
          true,
        );
        await archive.frontier.retryLater(row.id, new Date(), error.message);
        await closing;
        return;
      }
      if (stop || options.signal?.aborted) {
        // Another worker stopped the run (the fetcher it closed failed this row's request), or a signal did.
        await halt(interrupted(options.signal), false);
        await archive.frontier.retryLater(row.id, new Date(), 'interrupted');
        return;
      }
      const message = describeFailure(error);
      // A full disk or a database that is down fails every item alike: asking the site for more would be for nothing.
      // (The site's own connection errors come wrapped by the fetcher, and are the item's.)
      if (!(error instanceof HttpFetchError) && isStorageUnavailable(error)) {
        const closing = halt(
          {
            outcome: 'interrupted',
            error: `the archive cannot store what is fetched (${message}); stopping rather than ask the site for more. Once it can, the next crawl with the same scope resumes the run`,
          },
          true,
        );
        // The database may be what failed; a row left claimed is put back by the resumed run all the same.
        await archive.frontier.retryLater(row.id, new Date(), message).catch(() => undefined);
        await closing;
        return;
      }
      ctx.counters.errors++;
      const final =
        error instanceof RobotsDisallowedError ||
        error instanceof MaskingNeverReadyError ||
        (isDiscovery(row) && error instanceof UnexpectedResponseError && NOT_THERE.has(error.status)) ||
        row.attempts >= ITEM_MAX_ATTEMPTS;
      ctx.log.warn({ url: row.url, kind: row.kind, attempt: row.attempts, err: message }, final ? 'giving up on this item' : 'will try this item again later in the run');
      if (!final) {
        await archive.frontier.retryLater(row.id, new Date(Date.now() + (options.itemRetryMs ?? ITEM_RETRY_MS)), message);
        return;
      }
      // What robots.txt forbids is left out by the site's wish, every run alike: not a gap in this run.
      if (error instanceof RobotsDisallowedError) {
        await archive.frontier.skipped(row.id, message);
        return;
      }
      ctx.counters.failedItems++;
      if (isDiscovery(row)) {
        ctx.counters.listingsFailed++;
        firstListingFailure ??= error;
      }
      await archive.frontier.failed(row.id, message);
    }
  };

  // A signal stops the rows in hand too, not only the claiming of more: at the default rate a thread's attachments
  // would keep a Ctrl-C (or a container's SIGTERM, killed after 10 s) waiting 2 s a request. Their requests fail, and
  // each row is put back for the run that resumes this one.
  const onAbort = () => void halt(interrupted(options.signal), true);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const worker = async (): Promise<void> => {
    while (!stop) {
      if (options.signal?.aborted) {
        await halt(interrupted(options.signal), false);
        return;
      }
      const row = await claim();
      if (!row) {
        if (inHand.size === 0 && (await archive.frontier.pending(runId)) === 0) return;
        // Rows waiting for their time (attachments being masked), or the sweep waiting for the rows in hand.
        await finished.wait(IDLE_POLL_MS);
        await report(false);
        continue;
      }
      try {
        await work(row);
      } finally {
        inHand.delete(row.id);
        finished.notify();
      }
      await report(false);
    }
  };

  const ended = await Promise.allSettled(
    Array.from({ length: workers }, () =>
      worker().catch(async (error: unknown) => {
        // Storage failing under one worker: the others stop too, and the run fails with this error.
        await halt({ outcome: 'failed', error: error instanceof Error ? error.message : String(error) }, false);
        throw error;
      }),
    ),
  );
  options.signal?.removeEventListener('abort', onAbort);
  const failure = ended.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  await archive.frontier.done(finishedRows);
  if (stop) return stop;
  await report(true);
  if (firstListingFailure !== undefined && nothingArchived(combine(base, ctx.counters, ctx.fetcher))) {
    return { outcome: 'failed', error: nothingListed(ctx.urls.origin, firstListingFailure) };
  }
  return { outcome: 'ok' };
}

/** Returns a time to come back to the row, or undefined when it is done. */
async function processRow(ctx: RunContext, row: FrontierRow): Promise<Date | undefined> {
  const payload = row.payload ?? {};
  switch (row.kind) {
    case 'request':
      if (isSweep(payload)) await sweepKnownRequests(ctx, payload);
      else await syncRequest(ctx, payload as RequestPayload);
      return undefined;
    case 'attachment': {
      const outcome = await syncMaskedAttachments(ctx, payload as unknown as AttachmentPayload, row.attempts);
      return outcome === 'done' ? undefined : outcome.retryAt;
    }
    case 'csv':
      await crawlAuthorities(ctx, row.url);
      return undefined;
    case 'listing':
    case 'body':
    case 'user':
      await crawlListing(ctx, row.url, payload as unknown as ListingScan);
      return undefined;
  }
}
