import { buffer } from 'node:stream/consumers';
import type { Logger } from 'pino';
import { LISTING_PAGE_WORDS, REQUEST_PAGE_WORDS } from '../parsers/index.js';
import type { Archive, CaptureKind } from '../storage/index.js';
import { decodeText, type FetchedPage, type PoliteFetcher } from './http/index.js';
import type { KeyedLock } from './keyed-lock.js';
import type { SiteUrls } from './urls.js';

/** What one run has done so far; stored on the run row, so a resumed run keeps counting. */
export interface RunCounters {
  /** HTTP requests made, robots.txt, retries and redirect hops included. */
  requests: number;
  retries: number;
  notModified: number;
  /** Answers so slow that the site's answer time, not the rate, set the pause after them (the crawl slowed down with it). */
  slowAnswers: number;
  /** Bytes received over the wire. */
  bytes: number;
  json: number;
  pages: number;
  listings: number;
  attachments: number;
  attachmentBytes: number;
  newRequests: number;
  changedRequests: number;
  unchangedRequests: number;
  renamedRequests: number;
  removedRequests: number;
  /**
   * Requests asked about that the site does not serve to the public (403, 404, 410) and the archive never had: a
   * mistyped slug, or a hidden or embargoed request (each id an `--ids` walk finds so).
   */
  notPublicRequests: number;
  /** Attachments the site was still masking, put back in the frontier for later in the run. */
  maskingRequeued: number;
  /** Attachments over the fetcher's size limit, left out of their threads. */
  attachmentsTooLarge: number;
  /** Attachments whose link or redirect led to another site than the one crawled, left out of their threads. */
  attachmentsOffSite: number;
  /** Attachments whose link or redirect led where robots.txt forbids, left out of their threads. */
  attachmentsDisallowed: number;
  errors: number;
  /** Items given up on after their last attempt: what this run could not archive. */
  failedItems: number;
  /** Of those, listing pages (and the authorities CSV): what they would have shown was never seen, so the run is no mark. */
  listingsFailed: number;
  /** Threads an earlier run gave up on, tried again in this one. */
  carriedItems: number;
  /** `--recent` listings that reached their last page before the previous run's watermark: a gap in what was seen. */
  listingsCutShort: number;
  /**
   * The newest event time any listing showed, in the site's own clock (epoch ms): the next `--recent`
   * run pages back to here, minus a margin, whatever this machine's clock says.
   */
  newestListedMs: number;
}

export function emptyCounters(): RunCounters {
  return {
    requests: 0,
    retries: 0,
    notModified: 0,
    slowAnswers: 0,
    bytes: 0,
    json: 0,
    pages: 0,
    listings: 0,
    attachments: 0,
    attachmentBytes: 0,
    newRequests: 0,
    changedRequests: 0,
    unchangedRequests: 0,
    renamedRequests: 0,
    removedRequests: 0,
    notPublicRequests: 0,
    maskingRequeued: 0,
    attachmentsTooLarge: 0,
    attachmentsOffSite: 0,
    attachmentsDisallowed: 0,
    errors: 0,
    failedItems: 0,
    listingsFailed: 0,
    carriedItems: 0,
    listingsCutShort: 0,
    newestListedMs: 0,
  };
}

export interface RunContext {
  archive: Archive;
  siteId: number;
  runId: number;
  fetcher: PoliteFetcher;
  urls: SiteUrls;
  /** Counted by the crawler itself; the fetcher's own figures are added when the counters are read. */
  counters: RunCounters;
  log: Logger;
  /** Downloads land here before they are stored. */
  tmpDir: string;
  /** How long to leave an attachment the site is still masking before asking again. */
  maskingRetryMs: number;
  /** How many unseen numeric ids the id walk queues at a time. */
  idWalkChunk: number;
  /** Held by remote request id while a thread is read, fetched and reconciled: rows run side by side, a thread does not. */
  threads: KeyedLock;
  /** The run was started by a process that died or was stopped: some of its downloads were stored before this one began. */
  resumed: boolean;
  /**
   * Remote ids of the threads whose attachments this process has started to download. Only for these (or in a
   * resumed run) can the run have stored some of a thread's downloads already, so only they are looked up.
   */
  threadsDownloading: Set<number>;
  /** Requests whose JSON was checked and found unchanged since the last save: their check time is written in one go. */
  checkedUnchanged: number[];
  /** Renders a page snapshot of a freshly captured thread page. */
  snapshot?: (captureId: number) => Promise<void>;
}

const kindCounter: Partial<Record<CaptureKind, keyof RunCounters>> = { json: 'json', page: 'pages', listing: 'listings', csv: 'listings' };

/**
 * Fetches through the polite fetcher and keeps the response: body as a blob first, then its blob row and
 * the capture row in one commit.
 * With `conditional`, the validators of the newest stored 200 answer for the URL go with the request;
 * a 304 is recorded as its own bodiless capture and handed back as that stored answer (status 200,
 * `notModified` set), so callers parse it as if it had come again.
 */
export async function fetchAndKeep(
  ctx: RunContext,
  url: string,
  kind: CaptureKind,
  options: { conditional?: boolean } = {},
): Promise<{ response: FetchedPage; captureId: number }> {
  const previous = options.conditional ? await ctx.archive.latestCapture(ctx.siteId, url) : null;
  const validators = previous && (previous.etag || previous.lastModified)
    ? { ...(previous.etag ? { etag: previous.etag } : {}), ...(previous.lastModified ? { lastModified: previous.lastModified } : {}) }
    : undefined;
  const response = await ctx.fetcher.get(url, {
    ...(kind === 'json' ? { accept: 'application/json', expectType: /\bjson\b/i } : {}),
    ...(kind === 'csv' ? { expectType: /\bcsv\b/i } : {}),
    ...(kind === 'page' ? { expectWords: REQUEST_PAGE_WORDS } : {}),
    ...(kind === 'listing' ? { expectWords: LISTING_PAGE_WORDS } : {}),
    ...(validators ? { conditional: validators } : {}),
  });
  const counter = kindCounter[kind];
  if (counter) ctx.counters[counter]++;
  const contentType = response.headers['content-type'];
  const body = response.body.length > 0 && response.status !== 304 ? { input: response.body, ...(contentType ? { contentType } : {}) } : null;
  const { captureId } = await ctx.archive.keepResponse(
    {
      siteId: ctx.siteId,
      runId: ctx.runId,
      url: response.url,
      fetchedAt: response.fetchedAt,
      status: response.status,
      requestHeaders: response.requestHeaders,
      responseHeaders: response.headers,
      kind,
    },
    body,
  );
  if (response.status === 304 && previous) return { response: await asStoredAnswer(ctx, response, previous), captureId };
  return { response, captureId };
}

/** A 304 stands for the stored answer it confirmed: its body, its content type, status 200. */
async function asStoredAnswer(
  ctx: RunContext,
  response: FetchedPage,
  previous: { sha256: string; contentType: string | null },
): Promise<FetchedPage> {
  const body = await buffer(await ctx.archive.blobs.get(previous.sha256));
  const headers = { ...response.headers, ...(previous.contentType ? { 'content-type': previous.contentType } : {}) };
  return { ...response, status: 200, headers, body, text: () => decodeText(body, previous.contentType ?? undefined), notModified: true };
}

/** A request the site no longer serves to the public (site facts §6.3). */
export const GONE_STATUSES = new Set([403, 404, 410]);

export class UnexpectedResponseError extends Error {
  override name = 'UnexpectedResponseError';
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`unexpected HTTP ${status} for ${url}`);
  }
}
