import PQueue from 'p-queue';

/**
 * Runs requests one at a time (a p-queue of concurrency 1) and keeps the queue paused between them.
 *
 * The interval is counted from the moment the previous request was answered (response headers in, or
 * the attempt failed), not from when we sent it: only then do we know the site has seen it, so however
 * the network delays a request, the site's own log never shows two requests closer than the interval.
 * All times are performance.now() milliseconds.
 */
export class RequestPacer {
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #signal: AbortSignal;
  #intervalMs: number;
  #lastAnsweredMs: number | undefined;
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
        try {
          return await job();
        } finally {
          if (!this.#answeredThisJob) this.answered();
        }
      },
      { priority, signal: this.#signal },
    );
  }

  /** The running request has its answer; the next may start one interval from now. */
  answered(): void {
    this.#answeredThisJob = true;
    this.#lastAnsweredMs = performance.now();
    this.#holdUntil(this.#lastAnsweredMs + this.#intervalMs);
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
