import PQueue from 'p-queue';

function makeQueue(intervalMs: number): PQueue {
  if (intervalMs <= 0) return new PQueue({ concurrency: 1 });
  // p-queue times its sliding window with Date.now(), which truncates to the millisecond;
  // one extra millisecond keeps real starts at least `intervalMs` apart.
  return new PQueue({ concurrency: 1, interval: Math.ceil(intervalMs) + 1, intervalCap: 1, strict: true });
}

/**
 * Runs requests one at a time with their starts at least `intervalMs` apart, and can hold every
 * request back (Retry-After, backoff) without breaking that spacing.
 */
export class RequestPacer {
  #intervalMs: number;
  #queue: PQueue;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  #holdUntilMs = 0;
  #holdTimer: NodeJS.Timeout | undefined;

  readonly #signal: AbortSignal;

  /** Aborting `signal` rejects every job still waiting. */
  constructor(intervalMs: number, signal: AbortSignal) {
    this.#intervalMs = intervalMs;
    this.#signal = signal;
    this.#queue = makeQueue(intervalMs);
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Higher priority runs first among waiting jobs (retries go ahead of new work). */
  run<T>(job: () => Promise<T>, priority = 0): Promise<T> {
    return this.#queue.add(
      () => {
        this.#lastStartMs = Date.now();
        return job();
      },
      { priority, signal: this.#signal },
    );
  }

  /**
   * The running request only went on the wire now (a fresh connection had to be opened first):
   * space the next one from here, so the site never sees two requests closer than the interval.
   */
  restartedNow(): void {
    this.#lastStartMs = Date.now();
    if (this.#intervalMs > 0) this.holdUntil(this.#lastStartMs + Math.ceil(this.#intervalMs) + 1);
  }

  /** No request starts before `untilMs` (epoch ms); a request already running is unaffected. */
  holdUntil(untilMs: number): void {
    if (untilMs <= this.#holdUntilMs || untilMs <= Date.now()) return;
    this.#holdUntilMs = untilMs;
    this.#queue.pause();
    clearTimeout(this.#holdTimer);
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      this.#queue.start();
    }, untilMs - Date.now());
  }

  /** Only ever slows down (Crawl-delay larger than the configured rate). Call while no job is queued. */
  widenInterval(intervalMs: number): void {
    if (intervalMs <= this.#intervalMs) return;
    this.#intervalMs = intervalMs;
    const holding = this.#holdTimer !== undefined;
    this.#queue = makeQueue(intervalMs);
    if (holding) this.#queue.pause();
    // The new queue has no memory of the last start, so carry the spacing over by hand.
    this.holdUntil(this.#lastStartMs + Math.ceil(intervalMs) + 1);
  }

  close(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
  }
}
