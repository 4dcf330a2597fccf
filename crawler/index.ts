export { runCrawl, assertContactFor, RunInProgressError, SiteBlockedError, TimeLimitReachedError, DEFAULT_CRAWL_WORKERS, MAX_CARRIED_RUNS, type CrawlOptions, type CrawlProgress, type CrawlSummary, type RunOutcome } from './run.js';
export { normalizeScope, describeScope, CrawlScopeError, type CrawlScope, type ScopeInput } from './scope.js';
export type { RunCounters } from './context.js';
export { runExtractionWorker, toCompletion, type WorkerOptions, type WorkerSummary, type JobOutcome } from './extraction.js';
export { startSchedule, ScheduleError, ScheduleHaltError, type Schedule, type ScheduleEnd, type ScheduleOptions } from './schedule.js';
export { createCrawlReporter, formatSummary, type CrawlReporter } from './progress.js';
export { parseRequestRef, type RequestRef } from './urls.js';
export {
  PoliteFetcher,
  ContactRequiredError,
  ChallengeError,
  HttpFetchError,
  type PoliteFetcherOptions,
} from './http/index.js';
export { latestPageCapture, snapshotCapture, Snapshotter, SnapshotError } from './browser.js';
