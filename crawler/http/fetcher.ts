import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { getEncoding } from 'encoding-sniffer';
import { pino, type Logger } from 'pino';
import {
  BodyTooLargeError,
  BudgetExhaustedError,
  ChallengeError,
  FetchFailedError,
  HttpFetchError,
  MaskingPendingError,
  OffSiteUrlError,
  RetryAfterTooLongError,
  SiteDownError,
} from './errors.js';
import { collectingEveryMiB } from './download-garbage.js';
import { buildUserAgent, packageVersion } from './identity.js';
import { ANSWER_TIME_FACTOR, RequestPacer, type PaceAfterAnswer } from './pacing.js';
import {
  backoffDelay,
  classifyTransportError,
  isRetryableStatus,
  parseRetryAfter,
  type RetryReason,
} from './retry-policy.js';
import { RobotsRules } from './robots.js';
import { detectChallenge, isMaskingInterstitialPage, isMaskingInterstitialPath, REDIRECT_STATUSES } from './site-signals.js';
import { Agent, request } from './undici-parts.js';

const MiB = 1024 * 1024;
const DEFAULT_PAGE_LIMIT_BYTES = 20 * MiB;
const DEFAULT_DOWNLOAD_LIMIT_BYTES = 2 * 1024 * MiB;
const DEFAULT_RATE_PER_SECOND = 0.5;
const ROBOTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_BACKOFF_BASE_MS = 1_000;
const DEFAULT_BACKOFF_MAX_MS = 60_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60 * 60 * 1000;
const DEFAULT_MAX_CONSECUTIVE_FAILURES = 10;
const DEFAULT_ATTEMPT_BASE_MS = 10 * 60 * 1000;
const DEFAULT_ATTEMPT_PER_MIB_MS = 2_000;
const DEFAULT_SLOW_SPELL_CALM_MS = 60_000;
// WhatDoTheyKnow answers in well under a second when all is well.
const DEFAULT_SLOW_SPELL_STRUGGLE_MS = 1_000;
const MAX_REDIRECTS = 10;
const ROBOTS_MAX_REDIRECTS = 5; // RFC 9309 §2.3.1.2
const SNIFF_BYTES = 256 * 1024;
/** A download whose declared length is at most this stays in memory: no temp file to write, read back and remove. */
const DOWNLOAD_IN_MEMORY_BYTES = MiB;
const DEFAULT_PAGE_ACCEPT = 'text/html,application/json;q=0.9,*/*;q=0.8';
/**
 * Pages, JSON, CSV and robots.txt may come compressed, sparing the site most of their bytes. Attachments are asked for
 * as they are: mostly compressed already, and their bytes are the evidence (a coding the site adds unasked is undone).
 */
const TEXT_ACCEPT_ENCODING = 'gzip, br';
/**
 * Node's own default, set here rather than read from node:http: on Node 24 an ES import of node:http loads Node's
 * bundled undici beside ours (test/crawler-http/lean-imports.test.ts).
 */
const MAX_HEADER_BYTES = 16 * 1024;

export interface PoliteFetcherOptions {
  /** The site, e.g. https://www.whatdotheyknow.com; every URL fetched must be on this origin. */
  baseUrl: string;
  /** Email or URL. Required unless baseUrl is loopback: a public site's operators must be able to reach us. */
  contact?: string;
  version?: string;
  /** Default 0.5 (one request every 2 s); 0 or Infinity = no limit (benchmarks only). Crawl-delay still applies. */
  ratePerSecond?: number;
  /** Per-run budget counting every request made, robots.txt, retries and redirect hops included. */
  maxRequests?: number;
  maxAttempts?: number;
  /** Per attempt: wait for headers, and longest silence while the body streams (`attemptTimeLimit` bounds the whole). */
  timeoutMs?: number;
  /**
   * Longest one attempt may take, body included, however steadily its bytes trickle in: `baseMs` (default 10 min)
   * plus `perMiBMs` (default 2 s) for each MiB received so far. Only bytes that arrive earn time, so a body dripping a
   * byte at a time is cut after about `baseMs`, while a 1 GiB attachment coming at 0.4 MiB/s (about 3 Mbit/s) or
   * faster is never cut. A cut attempt fails as a timeout, and is retried like one.
   */
  attemptTimeLimit?: { baseMs?: number; perMiBMs?: number };
  /** Overrides both defaults: 2 GiB for downloads, 20 MiB for buffered pages. */
  maxBodyBytes?: number;
  backoff?: { baseMs?: number; maxMs?: number };
  /** Longest Retry-After we sit out within a run (default 1 h); longer ones stop with RetryAfterTooLongError. */
  maxRetryAfterMs?: number;
  /**
   * Failed attempts in a row (5xx, resets, timeouts), whatever their URLs, after which the site is taken to be down
   * and SiteDownError stops the run (default 10). Any other answer starts the count again.
   */
  maxConsecutiveFailures?: number;
  logger?: Logger;
  onResponse?: (record: ResponseRecord) => void | Promise<void>;
  onRetry?: (event: RetryEvent) => void;
  robots?: boolean;
  /** How long robots.txt's rules are kept before it is fetched again (default 24 h, RFC 9309 §2.4's limit). */
  robotsMaxAgeMs?: number;
  /**
   * When the site's answer times set the pace (see RequestPacer), that is one spell, logged when it starts and when
   * it ends: once every answer for `calmMs` (default 1 min) has been quick, so answers either side of the line do not
   * log a line each. The start is a warning when an answer of the spell took `struggleMs` (default 1 s) or more, a
   * site in difficulty; below that it is only slower than a fast `ratePerSecond`, and logged at info.
   */
  slowSpell?: { calmMs?: number; struggleMs?: number };
}

export interface ResponseRecord {
  url: string;
  status: number;
  fetchedAt: Date;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  bytes: number;
  fromCache?: boolean;
}

export interface RetryEvent {
  url: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  reason: RetryReason;
  status?: number;
  /** The Retry-After; or the backoff, which comes on top of the rate interval. */
  waitMs: number;
  retryAfter?: string;
  /** With `wrong-type`: what is wrong with the 200. */
  wrongAnswer?: string;
}

export interface RedirectHop {
  url: string;
  status: number;
  location: string;
}

export interface FetchedPage {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  redirects: RedirectHop[];
  notModified: boolean;
  fetchedAt: Date;
  requestHeaders: Record<string, string>;
}

export interface DownloadedFile {
  url: string;
  /** Of the final response, whose body `body` holds whatever the status: check it before trusting the body. */
  status: number;
  headers: Record<string, string>;
  /**
   * In memory when the site declared it at most 1 MiB long, or answered other than 2xx; otherwise in the file at
   * the `dest` given to `download`. Either form can be stored as it is (a blob store input).
   */
  body: Buffer | { path: string };
  sha256: string;
  size: number;
  redirects: RedirectHop[];
  fetchedAt: Date;
  requestHeaders: Record<string, string>;
}

export interface GetOptions {
  conditional?: { etag?: string; lastModified?: string };
  followRedirects?: boolean;
  accept?: string;
  /**
   * The Content-Type a 200 must have (matched against the header). Any other 200 is the site in trouble (a
   * maintenance page served as 200, say): retried, backed off and counted towards a site that looks down, like a 5xx.
   */
  expectType?: RegExp;
  /**
   * A 200 must contain one of these words (the markers of the page kind asked for); one with none of them is some
   * other page in its place, and is retried the same way.
   */
  expectWords?: readonly string[];
}

export interface DownloadOptions {
  followRedirects?: boolean;
  /**
   * The answer must be a file download: Alaveteli sends every attachment with a Content-Disposition (facts §7.4). A
   * 200 without one, other than the masking page, is some other page in its place (maintenance, a proxy's): retried
   * like a 5xx rather than stored as the attachment.
   */
  expectAttachment?: boolean;
}

export interface FetchStats {
  requests: number;
  retries: number;
  notModified: number;
  /** Answers the site took so long to give that their time, not the rate, set the pause after them. */
  slowAnswers: number;
  bytes: number;
  byStatus: Record<number, number>;
}

/** Where a response body goes: memory, or (for 2xx downloads) a file hashed while it is written. */
type BodyTarget =
  | { kind: 'buffer'; maxBytes: number }
  | { kind: 'file'; path: string; maxBytes: number; bufferMaxBytes: number; inMemoryBytes: number };

interface Exchange {
  url: URL;
  status: number;
  headers: Record<string, string>;
  requestHeaders: Record<string, string>;
  fetchedAt: Date;
  body?: Buffer;
  file?: { sha256: string; size: number };
}

/** What is wrong with a 200 that is not the kind of answer asked for, or undefined when it is. */
type AnswerCheck = (exchange: Exchange) => string | undefined;

function typeCheck(expected: RegExp): AnswerCheck {
  return ({ headers }) => {
    const contentType = headers['content-type'] ?? '(none)';
    return expected.test(contentType) ? undefined : `Content-Type ${contentType}, not ${expected.source}`;
  };
}

function wordsCheck(words: readonly string[]): AnswerCheck {
  return ({ headers, body }) =>
    body && words.some((word) => body.includes(word)) ? undefined : `Content-Type ${headers['content-type'] ?? '(none)'} without any of ${words.join(', ')}`;
}

/** What a 200 answering `get` must be: of the expected type, and containing one of the expected words. */
function pageCheck({ expectType, expectWords }: GetOptions): AnswerCheck | undefined {
  const checks = [expectType && typeCheck(expectType), expectWords && wordsCheck(expectWords)].filter((check) => check !== undefined);
  return checks.length === 0 ? undefined : (exchange) => checks.map((check) => check(exchange)).find((wrong) => wrong !== undefined);
}

const attachmentCheck: AnswerCheck = ({ headers, body }) => {
  if (headers['content-disposition']) return undefined;
  // The site's own masking page is answered by the caller; a body streamed to disk is too large for such a page.
  if (!body || isMaskingInterstitialPage(headers, body)) return undefined;
  return `Content-Type ${headers['content-type'] ?? '(none)'} without Content-Disposition, not an attachment download`;
};

/** A transport failure worth another attempt. Never leaves this module. */
class RetryableFailure extends Error {
  constructor(
    readonly reason: RetryReason,
    override readonly cause: unknown,
  ) {
    super(`${reason}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // Set-Cookie values contain commas (in Expires), so they are joined by newline instead.
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(name.toLowerCase() === 'set-cookie' ? '\n' : ', ') : value;
  }
  return flat;
}

/**
 * The body as text, in the charset its Content-Type names (UTF-8 otherwise). An HTML page may name its charset only in
 * a `<meta>` tag, as pages of older sites and proxies do: for HTML the WHATWG sniffing (BOM, header, `<meta>`) decides.
 */
export function decodeText(body: Buffer, contentType: string | undefined): string {
  const stated = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  const charset = /html/i.test(contentType ?? '')
    ? getEncoding(body, { defaultEncoding: 'utf-8', ...(stated ? { transportLayerEncodingLabel: stated } : {}) })
    : stated;
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** A pause or an answer time as a log line says it. */
function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

function intervalFromRate(ratePerSecond: number): number {
  if (Number.isNaN(ratePerSecond) || ratePerSecond < 0) throw new RangeError(`ratePerSecond must be ≥ 0, got ${ratePerSecond}`);
  return ratePerSecond === 0 || ratePerSecond === Number.POSITIVE_INFINITY ? 0 : 1000 / ratePerSecond;
}

/**
 * The one way this project talks to the network: robots.txt, one connection, a paced queue,
 * retries with backoff and Retry-After, challenge detection, no cookies, a request budget.
 */
export class PoliteFetcher {
  readonly userAgent: string;
  readonly #site: URL;
  readonly #agent: Agent;
  readonly #pacer: RequestPacer;
  readonly #logger: Logger;
  readonly #options: PoliteFetcherOptions;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #pageLimitBytes: number;
  readonly #downloadLimitBytes: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #maxConsecutiveFailures: number;
  readonly #attemptTimeLimit: { baseMs: number; perMiBMs: number };
  readonly #abort = new AbortController();
  #closed = false;
  readonly #stats: FetchStats = { requests: 0, retries: 0, notModified: 0, slowAnswers: 0, bytes: 0, byStatus: {} };
  #robots: Promise<RobotsRules> | undefined;
  #robotsAskedAt = 0;
  #failuresInARow = 0;
  #slowDownsInARow = 0;
  readonly #slowSpellCalmMs: number;
  readonly #slowSpellStruggleMs: number;
  /**
   * While the site's answer times set the pause between requests: since when every answer has been quick (none, while
   * they are not), and whether the spell was said at warn.
   */
  #slowSpell: { quickSinceMs: number | undefined; warned: boolean } | undefined;

  constructor(options: PoliteFetcherOptions) {
    this.#site = new URL(options.baseUrl);
    if (this.#site.protocol !== 'https:' && this.#site.protocol !== 'http:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${options.baseUrl}`);
    }
    this.userAgent = buildUserAgent(this.#site, options.version ?? packageVersion(), options.contact);
    this.#options = options;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#pageLimitBytes = options.maxBodyBytes ?? DEFAULT_PAGE_LIMIT_BYTES;
    this.#downloadLimitBytes = options.maxBodyBytes ?? DEFAULT_DOWNLOAD_LIMIT_BYTES;
    this.#backoffBaseMs = options.backoff?.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.#backoffMaxMs = options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.#maxConsecutiveFailures = Math.max(1, options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES);
    this.#slowSpellCalmMs = options.slowSpell?.calmMs ?? DEFAULT_SLOW_SPELL_CALM_MS;
    this.#slowSpellStruggleMs = options.slowSpell?.struggleMs ?? DEFAULT_SLOW_SPELL_STRUGGLE_MS;
    this.#attemptTimeLimit = {
      baseMs: options.attemptTimeLimit?.baseMs ?? DEFAULT_ATTEMPT_BASE_MS,
      perMiBMs: options.attemptTimeLimit?.perMiBMs ?? DEFAULT_ATTEMPT_PER_MIB_MS,
    };
    this.#logger = options.logger ?? pino({ level: 'silent' });
    // Every waiting caller listens for close(); hundreds waiting is normal, not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.#pacer = new RequestPacer(intervalFromRate(options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND), this.#abort.signal);
    this.#agent = new Agent({ connections: 1, pipelining: 1, maxHeaderSize: MAX_HEADER_BYTES, connect: { timeout: this.#timeoutMs } });
  }

  get stats(): FetchStats {
    return { ...this.#stats, byStatus: { ...this.#stats.byStatus } };
  }

  /** Fetches a page, JSON or CSV into memory. 4xx answers (403 removed, 404, 410) are returned, not thrown. */
  async get(url: string, options: GetOptions = {}): Promise<FetchedPage> {
    const target = this.#resolve(url);
    const requestHeaders = this.#requestHeaders(options.accept ?? DEFAULT_PAGE_ACCEPT, options.conditional, TEXT_ACCEPT_ENCODING);
    const { exchange, redirects } = await this.#follow(
      target,
      requestHeaders,
      options.followRedirects ?? true,
      { kind: 'buffer', maxBytes: this.#pageLimitBytes },
      MAX_REDIRECTS,
      this.#options.robots ?? true,
      pageCheck(options),
    );
    const body = exchange.body ?? Buffer.alloc(0);
    if (isMaskingInterstitialPage(exchange.headers, body)) throw new MaskingPendingError(target.href, exchange.url.href);
    return {
      url: exchange.url.href,
      status: exchange.status,
      headers: exchange.headers,
      body,
      text: () => decodeText(body, exchange.headers['content-type']),
      redirects,
      notModified: exchange.status === 304,
      fetchedAt: exchange.fetchedAt,
      requestHeaders: exchange.requestHeaders,
    };
  }

  /**
   * Fetches an attachment. A body the site declares at most 1 MiB long (and any non-2xx answer) comes back in
   * memory; anything else is streamed to `dest`, hashed on the way, in bounded memory. The file only appears at
   * `dest` once complete; a failed download leaves nothing behind.
   */
  async download(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadedFile> {
    const target = this.#resolve(url);
    const partPath = `${dest}.part`;
    try {
      const { exchange, redirects } = await this.#follow(
        target,
        this.#requestHeaders('*/*'),
        options.followRedirects ?? true,
        {
          kind: 'file',
          path: partPath,
          maxBytes: this.#downloadLimitBytes,
          bufferMaxBytes: this.#pageLimitBytes,
          inMemoryBytes: DOWNLOAD_IN_MEMORY_BYTES,
        },
        MAX_REDIRECTS,
        this.#options.robots ?? true,
        options.expectAttachment ? attachmentCheck : undefined,
      );
      let body: DownloadedFile['body'];
      let sha256: string;
      let size: number;
      if (exchange.file) {
        if (await this.#isMaskingPageOnDisk(exchange.headers, partPath, exchange.file.size)) {
          throw new MaskingPendingError(target.href, exchange.url.href);
        }
        await rename(partPath, dest);
        body = { path: dest };
        ({ sha256, size } = exchange.file);
      } else {
        body = exchange.body ?? Buffer.alloc(0);
        if (isMaskingInterstitialPage(exchange.headers, body)) throw new MaskingPendingError(target.href, exchange.url.href);
        sha256 = createHash('sha256').update(body).digest('hex');
        size = body.length;
      }
      return {
        url: exchange.url.href,
        status: exchange.status,
        headers: exchange.headers,
        body,
        sha256,
        size,
        redirects,
        fetchedAt: exchange.fetchedAt,
        requestHeaders: exchange.requestHeaders,
      };
    } catch (error) {
      await rm(partPath, { force: true });
      throw error;
    }
  }

  /** Stops: queued requests reject, the running one is aborted, the connection is closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#refuseFromNowOn(new HttpFetchError('PoliteFetcher was closed'));
    this.#pacer.close();
    await this.#agent.destroy();
  }

  /**
   * The site told us to stop (a challenge, a Retry-After longer than we wait, attempt after attempt failing): no later
   * request reaches it, however soon another caller asks, and each fails with `reason`. Callers that stop their run on
   * it cannot all do so before the pacer's next slot.
   */
  #refuseFromNowOn<E extends HttpFetchError>(reason: E): E {
    if (!this.#abort.signal.aborted) this.#abort.abort(reason);
    return reason;
  }

  #resolve(url: string): URL {
    const resolved = new URL(url, this.#site);
    if (resolved.origin !== this.#site.origin) throw new OffSiteUrlError(resolved.href, this.#site.origin);
    return resolved;
  }

  /** No Cookie header ever: a stored `locale=cy` would turn every later page Welsh (site facts §1.5). */
  #requestHeaders(accept: string, conditional?: GetOptions['conditional'], acceptEncoding?: string): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept, 'accept-language': 'en' };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    if (conditional?.etag) headers['if-none-match'] = conditional.etag;
    if (conditional?.lastModified) headers['if-modified-since'] = conditional.lastModified;
    return headers;
  }

  /** A crawl of the whole site can last days: the rules it follows are never more than a day old. */
  #rules(): Promise<RobotsRules> {
    if (!this.#robots || performance.now() - this.#robotsAskedAt > (this.#options.robotsMaxAgeMs ?? ROBOTS_MAX_AGE_MS)) {
      this.#robotsAskedAt = performance.now();
      this.#robots = this.#loadRobots();
    }
    return this.#robots;
  }

  async #loadRobots(): Promise<RobotsRules> {
    const robotsUrl = new URL('/robots.txt', this.#site);
    let rules: RobotsRules;
    try {
      const { exchange } = await this.#follow(
        robotsUrl,
        this.#requestHeaders('text/plain,*/*;q=0.5', undefined, TEXT_ACCEPT_ENCODING),
        true,
        { kind: 'buffer', maxBytes: this.#pageLimitBytes },
        ROBOTS_MAX_REDIRECTS,
        false,
      );
      const status = exchange.status;
      if (status >= 200 && status < 300) {
        rules = RobotsRules.parse(exchange.url.href, decodeText(exchange.body ?? Buffer.alloc(0), exchange.headers['content-type']), this.userAgent);
      } else if (status >= 400 && status < 500) {
        this.#logger.info({ url: robotsUrl.href, status }, `robots.txt answered HTTP ${status}: no rules, everything allowed`);
        rules = RobotsRules.allowAll(this.userAgent);
      } else {
        rules = RobotsRules.disallowAll(this.userAgent, `robots.txt answered HTTP ${status}, so (RFC 9309) nothing may be crawled`);
      }
    } catch (error) {
      const unreachable = (error instanceof FetchFailedError && !(error instanceof RetryAfterTooLongError)) || error instanceof OffSiteUrlError;
      if (!unreachable) throw error;
      this.#logger.error({ url: robotsUrl.href, err: error }, 'robots.txt unreachable: treating the whole site as disallowed');
      rules = RobotsRules.disallowAll(
        this.userAgent,
        `robots.txt could not be fetched (${error.message}); RFC 9309 says to treat an unreachable robots.txt as disallowing everything`,
      );
    }
    const crawlDelayMs = rules.crawlDelayMs;
    if (crawlDelayMs !== undefined && crawlDelayMs > this.#pacer.intervalMs) {
      this.#logger.info({ crawlDelayMs }, `honouring Crawl-delay: ${crawlDelayMs / 1000} s between requests`);
      this.#pacer.widenInterval(crawlDelayMs);
    }
    return rules;
  }

  async #follow(
    start: URL,
    requestHeaders: Record<string, string>,
    followRedirects: boolean,
    target: BodyTarget,
    maxRedirects = MAX_REDIRECTS,
    checkRobots = this.#options.robots ?? true,
    check?: AnswerCheck,
  ): Promise<{ exchange: Exchange; redirects: RedirectHop[] }> {
    const redirects: RedirectHop[] = [];
    let current = start;
    for (;;) {
      this.#abort.signal.throwIfAborted();
      if (current.origin !== this.#site.origin) throw new OffSiteUrlError(current.href, this.#site.origin);
      // The interstitial's meta refresh would have us loop; the caller retries the original URL later instead.
      if (redirects.length > 0 && isMaskingInterstitialPath(current)) throw new MaskingPendingError(start.href, current.href);
      if (checkRobots) (await this.#rules()).assertAllowed(current);
      const exchange = await this.#fetchWithRetries(current, requestHeaders, target, check);
      const location = exchange.headers.location;
      if (!followRedirects || !REDIRECT_STATUSES.has(exchange.status) || !location) return { exchange, redirects };
      if (redirects.length >= maxRedirects) {
        throw new FetchFailedError(start.href, `more than ${maxRedirects} redirects from ${start.href}`, exchange.status);
      }
      const next = URL.parse(location, current.href);
      if (!next) throw new FetchFailedError(start.href, `unusable redirect Location "${location}" from ${current.href}`, exchange.status);
      redirects.push({ url: current.href, status: exchange.status, location: next.href });
      current = next;
    }
  }

  async #fetchWithRetries(url: URL, requestHeaders: Record<string, string>, target: BodyTarget, check?: AnswerCheck): Promise<Exchange> {
    for (let attempt = 1; ; attempt++) {
      let retry: Omit<RetryEvent, 'url' | 'attempt' | 'waitMs'> & { waitMs?: number };
      let failure: unknown;
      try {
        const exchange = await this.#pacer.run(() => this.#exchange(url, requestHeaders, target), attempt > 1 ? 1 : 0);
        const challenge = detectChallenge(exchange.status, exchange.headers, exchange.body);
        if (challenge) throw this.#refuseFromNowOn(new ChallengeError(url.href, exchange.status, challenge));
        const wrongAnswer = exchange.status === 200 && check ? check(exchange) : undefined;
        if (!isRetryableStatus(exchange.status) && wrongAnswer === undefined) {
          this.#failuresInARow = 0;
          this.#slowDownsInARow = 0;
          return exchange;
        }
        retry =
          wrongAnswer !== undefined
            ? { reason: 'wrong-type', status: exchange.status, wrongAnswer }
            : { reason: 'status', status: exchange.status };
        const retryAfter = exchange.headers['retry-after'];
        const retryAfterMs =
          exchange.status === 429 || exchange.status === 503 ? parseRetryAfter(retryAfter, exchange.headers.date, Date.now()) : undefined;
        if (retryAfterMs !== undefined && retryAfter !== undefined) {
          if (retryAfterMs > this.#maxRetryAfterMs) {
            throw this.#refuseFromNowOn(new RetryAfterTooLongError(url.href, exchange.status, retryAfterMs, this.#maxRetryAfterMs));
          }
          retry = { reason: 'retry-after', status: exchange.status, waitMs: retryAfterMs, retryAfter };
        }
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        retry = { reason: error.reason };
        failure = error.cause;
      }
      // A site that keeps answering 429 keeps asking us to slow down: its backoff grows across URLs, where another
      // failure's starts again with each URL.
      if (retry.status === 429) this.#slowDownsInARow++;
      const backoffStep = retry.status === 429 ? Math.max(attempt, this.#slowDownsInARow) : attempt;
      const waitMs = retry.waitMs ?? backoffDelay(backoffStep, this.#backoffBaseMs, this.#backoffMaxMs);
      // The whole site is held back, not only this URL (one connection, one site, one mood), and also when this URL
      // gives up below: the next one must not reach the site before its wait is over.
      if (retry.reason === 'retry-after') this.#pacer.holdFor(waitMs);
      else this.#pacer.backOff(waitMs);

      const what =
        retry.wrongAnswer !== undefined
          ? `HTTP 200 with ${retry.wrongAnswer}`
          : retry.status !== undefined
            ? `HTTP ${retry.status}`
            : `${retry.reason} (${failure instanceof Error ? failure.message : String(failure)})`;
      // A 429 is a site that is up, asking us to slow down.
      this.#failuresInARow = retry.status === 429 ? 0 : this.#failuresInARow + 1;
      if (this.#failuresInARow >= this.#maxConsecutiveFailures) {
        throw this.#refuseFromNowOn(new SiteDownError(url.href, this.#failuresInARow, what, retry.status, { cause: failure }));
      }
      if (attempt >= this.#maxAttempts) {
        throw new FetchFailedError(url.href, `gave up on ${url.href} after ${attempt} attempts: ${what}`, retry.status, { cause: failure });
      }
      const event: RetryEvent = { url: url.href, attempt, waitMs, ...retry };
      this.#stats.retries++;
      if (retry.reason === 'retry-after') {
        this.#logger.info(event, `honouring Retry-After: ${Math.round(waitMs / 1000)} s for ${url.href}`);
      } else {
        this.#logger.warn(event, `retrying ${url.href} in ${Math.round(this.#pacer.intervalMs) + waitMs} ms after ${what}`);
      }
      this.#options.onRetry?.(event);
    }
  }

  #notePace(pace: PaceAfterAnswer, url: URL): void {
    const event = { url: url.href, answerMs: Math.round(pace.answerMs), pauseMs: Math.round(pace.pauseMs) };
    const spell = this.#slowSpell;
    if (!pace.slowedBySite) {
      if (spell === undefined) return;
      const now = performance.now();
      spell.quickSinceMs ??= now;
      if (now - spell.quickSinceMs < this.#slowSpellCalmMs) return;
      this.#slowSpell = undefined;
      this.#logger.info(event, `the site has answered in time for ${seconds(this.#slowSpellCalmMs)}: back to one request every ${seconds(this.#pacer.intervalMs)}`);
      return;
    }
    this.#stats.slowAnswers++;
    const struggling = pace.answerMs >= this.#slowSpellStruggleMs;
    this.#slowSpell = { quickSinceMs: undefined, warned: (spell?.warned ?? false) || struggling };
    if (spell && (spell.warned || !struggling)) return;
    const said = `the site took ${seconds(pace.answerMs)} to answer: waiting ${seconds(pace.pauseMs)} (${ANSWER_TIME_FACTOR} times its answer time) before each request while it stays slow`;
    if (struggling) this.#logger.warn(event, said);
    else this.#logger.info(event, said);
  }

  /** One HTTP request, body included, within its time limit. Runs inside the pacer, so nothing else is on the wire meanwhile. */
  async #exchange(url: URL, requestHeaders: Record<string, string>, target: BodyTarget): Promise<Exchange> {
    const progress = { bytes: 0 };
    const deadline = new AttemptDeadline(this.#attemptTimeLimit, progress, this.#abort.signal);
    try {
      return await this.#attempt(url, requestHeaders, target, progress, deadline.signal);
    } catch (error) {
      // Whatever the abort surfaced as (undici's abort error, a stream error), the attempt ran out of time.
      throw deadline.expired ? new RetryableFailure('timeout', deadline.signal.reason) : error;
    } finally {
      deadline.end();
    }
  }

  async #attempt(
    url: URL,
    requestHeaders: Record<string, string>,
    target: BodyTarget,
    progress: { bytes: number },
    signal: AbortSignal,
  ): Promise<Exchange> {
    const { maxRequests } = this.#options;
    if (maxRequests !== undefined && this.#stats.requests >= maxRequests) throw new BudgetExhaustedError(maxRequests, url.href);
    this.#stats.requests++;
    const fetchedAt = new Date();
    const startedMs = performance.now();
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        dispatcher: this.#agent,
        method: 'GET',
        headers: requestHeaders,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal,
      });
    } catch (error) {
      const reason = classifyTransportError(error, false);
      if (reason) throw new RetryableFailure(reason, error);
      // The same answer would come again: not worth another attempt, and undici's own words name no URL.
      if ((error as { code?: unknown }).code === 'UND_ERR_HEADERS_OVERFLOW') {
        throw new FetchFailedError(url.href, `${url.href} answered with response headers over the ${MAX_HEADER_BYTES} bytes allowed`, undefined, { cause: error });
      }
      throw error;
    }
    this.#notePace(this.#pacer.answered(), url);
    const status = response.statusCode;
    const headers = flattenHeaders(response.headers);
    const record = async (): Promise<void> => {
      this.#stats.bytes += progress.bytes;
      this.#stats.byStatus[status] = (this.#stats.byStatus[status] ?? 0) + 1;
      if (status === 304) this.#stats.notModified++;
      this.#logger.debug({ url: url.href, status, bytes: progress.bytes, ms: Math.round(performance.now() - startedMs) }, 'fetched');
      await this.#options.onResponse?.({
        url: url.href,
        status,
        fetchedAt,
        requestHeaders,
        responseHeaders: headers,
        bytes: progress.bytes,
        ...(status === 304 ? { fromCache: true } : {}),
      });
    };
    const exchange: Exchange = { url, status, headers, requestHeaders, fetchedAt };
    try {
      const declaredLength = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      // A 304's or an empty body has no content to decode, whatever Content-Encoding says (nothing decodes from no bytes).
      const codings = status === 204 || status === 304 || declaredLength === 0 ? [] : contentCodings(headers['content-encoding']);
      if (codings === undefined) {
        discard(response.body);
        throw new FetchFailedError(url.href, `${url.href} came with Content-Encoding ${headers['content-encoding']}, which cannot be decoded`);
      }
      // A coded body's declared length is that of its coded bytes: what they decode to is known only once decoded.
      const decodedLength = codings.length === 0 ? declaredLength : undefined;
      const toFile =
        target.kind === 'file' && status >= 200 && status < 300 && !(decodedLength !== undefined && decodedLength <= target.inMemoryBytes);
      const limit = toFile ? target.maxBytes : target.kind === 'file' ? target.bufferMaxBytes : target.maxBytes;
      if (decodedLength !== undefined && decodedLength > limit) {
        discard(response.body);
        throw new BodyTooLargeError(url.href, limit);
      }
      const stages = [countingInto(progress), ...codings.map((coding) => DECODERS[coding]())] as const;
      if (toFile) {
        exchange.file = await streamToFile(response.body, stages, target.path, limit, url.href);
      } else {
        exchange.body = await readCapped(response.body, stages, limit, url.href);
      }
      if (declaredLength !== undefined && status !== 304 && progress.bytes !== declaredLength) {
        throw new RetryableFailure('truncated', new Error(`got ${progress.bytes} of ${declaredLength} bytes`));
      }
    } catch (error) {
      await record();
      if (error instanceof RetryableFailure || error instanceof HttpFetchError) throw error;
      // A coded body that does not decode was cut short or garbled on the way: worth another attempt, like a truncation.
      const reason = classifyTransportError(error, true) ?? (isDecodingError(error) ? 'truncated' : undefined);
      throw reason ? new RetryableFailure(reason, error) : error;
    }
    await record();
    return exchange;
  }

  async #isMaskingPageOnDisk(headers: Record<string, string>, path: string, size: number): Promise<boolean> {
    if (!(headers['content-type'] ?? '').toLowerCase().includes('text/html')) return false;
    const handle = await open(path);
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(Math.min(size, SNIFF_BYTES)), 0, Math.min(size, SNIFF_BYTES), 0);
      return isMaskingInterstitialPage(headers, buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }
}

/**
 * Aborts `signal` when the fetcher closes, or when the attempt has run longer than `limit` allows for the bytes it has
 * received so far. That allowance grows as bytes arrive, so the timer checks again when it fires rather than abort.
 */
class AttemptDeadline {
  readonly #controller = new AbortController();
  readonly #closing: AbortSignal;
  readonly #forwardClose: () => void;
  #timer: NodeJS.Timeout | undefined;
  #expired = false;

  constructor(limit: { baseMs: number; perMiBMs: number }, progress: { bytes: number }, closing: AbortSignal) {
    this.#closing = closing;
    this.#forwardClose = () => this.#controller.abort(closing.reason);
    // Not AbortSignal.any: in Node 20 every signal it makes stays referenced by the long-lived `closing` one.
    if (closing.aborted) this.#forwardClose();
    else closing.addEventListener('abort', this.#forwardClose, { once: true });
    const startedMs = performance.now();
    const check = (): void => {
      const allowedMs = limit.baseMs + (progress.bytes / MiB) * limit.perMiBMs;
      const remainingMs = startedMs + allowedMs - performance.now();
      if (remainingMs > 0) {
        this.#timer = setTimeout(check, Math.ceil(remainingMs));
        return;
      }
      this.#expired = true;
      const seconds = Number((allowedMs / 1000).toFixed(1));
      this.#controller.abort(new Error(`the attempt took longer than the ${seconds} s allowed for it, with ${progress.bytes} bytes received`));
    };
    check();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The attempt ran out of time (rather than the fetcher closing). */
  get expired(): boolean {
    return this.#expired;
  }

  end(): void {
    clearTimeout(this.#timer);
    this.#closing.removeEventListener('abort', this.#forwardClose);
  }
}

/** Drops a body that is not to be read: the abort this makes is the point, not an error to report. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Undoes one content coding (RFC 9110 §8.4.1); the site may send one unasked, since no Accept-Encoding is sent. */
const DECODERS = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
} as const;

type ContentCoding = keyof typeof DECODERS;

/** The codings to undo, in the order to undo them (the last applied first); undefined if one cannot be undone. */
function contentCodings(header: string | undefined): ContentCoding[] | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (!codings.every((coding) => Object.hasOwn(DECODERS, coding))) return undefined;
  return (codings as ContentCoding[]).reverse();
}

function isDecodingError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // zlib's codes (Z_DATA_ERROR...), and Node's names for brotli's decoder errors (ERR__ERROR_FORMAT_PADDING_1...).
  return typeof code === 'string' && /^(?:Z_|ERR__ERROR_)/.test(code);
}

/** Counts the bytes as they come off the wire, before any decoding: what the attempt's time and the Content-Length are about. */
function countingInto(progress: { bytes: number }) {
  return async function* countWireBytes(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      progress.bytes += chunk.length;
      yield chunk;
    }
  };
}

type BodyStages = readonly [ReturnType<typeof countingInto>, ...NodeJS.ReadWriteStream[]];

/** `pipeline` through a number of decoders known only at run time, which its typings cannot express. */
const pipelineOf = pipeline as (...streams: unknown[]) => Promise<void>;

/** The decoded body in memory, refused once it passes `limit` (so a small coded body cannot decode into a huge one). */
async function readCapped(body: Readable, stages: BodyStages, limit: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await pipelineOf(body, ...stages, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) throw new BodyTooLargeError(url, limit);
      chunks.push(chunk);
    }
  });
  return Buffer.concat(chunks);
}

async function streamToFile(body: Readable, stages: BodyStages, path: string, limit: number, url: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const collect = collectingEveryMiB();
  let size = 0;
  await pipelineOf(
    body,
    ...stages,
    async function* countAndHash(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > limit) throw new BodyTooLargeError(url, limit);
        hash.update(chunk);
        collect(chunk.length);
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return { sha256: hash.digest('hex'), size };
}
