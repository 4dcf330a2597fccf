import PQueue from 'p-queue';

/**
 * A site that takes long to answer is busy: the pause after an answer is at least this many times as long as the site
 * took to give it, so we never keep it busy more than a third of the time, however slow it gets. Heritrix waits five
 * times a fetch's duration by default, Scrapy's AutoThrottle about once its latency. At WhatDoTheyKnow's usual
 * answer times (well under a second) the 2 s interval is the larger; this only slows a crawl down when the site does.
 */
export const ANSWER_TIME_FACTOR = 2;
/** The pause an answer's time can ask for goes no higher: past it, a site that slow fails our time limits anyway. */
export const MAX_ANSWER_TIME_PAUSE_MS = 60_000;

/** How the pause after the last answer was set: by the configured interval, or by the time the site took. */
export interface PaceAfterAnswer {
  /** how long the site took to answer (request sent until response headers in) */
  answerMs: number;
  /** the pause before the next request */
  pauseMs: number;
  /** the answer's time set the pause, not the interval */
  slowedBySite: boolean;
}

/**
 * Runs requests one at a time (a p-queue of concurrency 1) and keeps the queue paused between them.
 *
 * The interval is counted from the moment the previous request was answered (response headers in, or
 * the attempt failed), not from when we sent it: only then do we know the site has seen it, so however
 * the network delays a request, the site's own log never shows two requests closer than the interval.
 * After an answer the pause is also at least ANSWER_TIME_FACTOR times the time the site took to give it,
 * unless pacing is off (an interval of 0).
 * All times are performance.now() milliseconds.
 */
export class RequestPacer {
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #signal: AbortSignal;
  #intervalMs: number;
  #lastAnsweredMs: number | undefined;
  #jobStartedMs = 0;
  #answeredThisJob = false;
  #resumeAtMs = 0;
  #resumeTimer: NodeJS.Timeout | undefined;

  /** Aborting `signal` rejects every job still waiting. */
  constructor(intervalMs: number, signal: AbortSignal) {
    this.#intervalMs = intervalMs;
    this.#signal = signal;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Higher priority runs first among waiting jobs (retries go ahead of new work). */
  run<T>(job: () => Promise<T>, priority = 0): Promise<T> {
    return this.#queue.add(
      async () => {
        this.#answeredThisJob = false;
        this.#jobStartedMs = performance.now();
        try {
          return await job();
        } finally {
          // A failed attempt (reset, time limit) is not an answer: its time says nothing of how busy the site is.
          if (!this.#answeredThisJob) this.#ended();
        }
      },
      { priority, signal: this.#signal },
    );
  }

  /**
   * The running request has its answer; the next may start one interval from now, or later if the site took long to
   * give it (ANSWER_TIME_FACTOR).
   */
  answered(): PaceAfterAnswer {
    const answerMs = performance.now() - this.#jobStartedMs;
    const bySite = this.#intervalMs > 0 ? Math.min(answerMs * ANSWER_TIME_FACTOR, MAX_ANSWER_TIME_PAUSE_MS) : 0;
    const pauseMs = Math.max(this.#intervalMs, bySite);
    this.#ended(pauseMs);
    return { answerMs, pauseMs, slowedBySite: bySite > this.#intervalMs };
  }

  /** No request starts within `waitMs` from now (Retry-After); the interval still applies too. */
  holdFor(waitMs: number): void {
    this.#holdUntil(performance.now() + waitMs);
  }

  /**
   * After a failure: no request starts until one interval plus `extraMs` after the last answer. Added to the interval,
   * not overlapping it, or a backoff shorter than the interval would slow nothing down.
   */
  backOff(extraMs: number): void {
    this.#holdUntil((this.#lastAnsweredMs ?? performance.now()) + this.#intervalMs + extraMs);
  }

  /** Only ever slows down (a Crawl-delay larger than the configured rate). */
  widenInterval(intervalMs: number): void {
    if (intervalMs <= this.#intervalMs) return;
    this.#intervalMs = intervalMs;
    if (this.#lastAnsweredMs !== undefined) this.#holdUntil(this.#lastAnsweredMs + intervalMs);
  }

  #ended(pauseMs = this.#intervalMs): void {
    this.#answeredThisJob = true;
    this.#lastAnsweredMs = performance.now();
    this.#holdUntil(this.#lastAnsweredMs + pauseMs);
  }

  close(): void {
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = undefined;
  }

  #holdUntil(untilMs: number): void {
    if (untilMs <= this.#resumeAtMs || untilMs <= performance.now()) return;
    this.#resumeAtMs = untilMs;
    this.#queue.pause();
    this.#armResume();
  }

  #armResume(): void {
    clearTimeout(this.#resumeTimer);
    // Timers can fire a little early against performance.now(); re-arm rather than start early.
    const remainingMs = this.#resumeAtMs - performance.now();
    if (remainingMs <= 0) {
      this.#resumeTimer = undefined;
      this.#queue.start();
      return;
    }
    this.#resumeTimer = setTimeout(() => this.#armResume(), Math.ceil(remainingMs));
  }
}
