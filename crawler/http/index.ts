export {
  PoliteFetcher,
  decodeText,
  type PoliteFetcherOptions,
  type ResponseRecord,
  type RetryEvent,
  type RedirectHop,
  type FetchedPage,
  type DownloadedFile,
  type GetOptions,
  type DownloadOptions,
  type FetchStats,
} from './fetcher.js';
export type { RetryReason } from './retry-policy.js';
export {
  HttpFetchError,
  RobotsDisallowedError,
  RobotsUnavailableError,
  ChallengeError,
  BudgetExhaustedError,
  FetchFailedError,
  RetryAfterTooLongError,
  SiteDownError,
  ContactRequiredError,
  BodyTooLargeError,
  MaskingPendingError,
  OffSiteUrlError,
} from './errors.js';
