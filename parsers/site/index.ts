export { parsePage } from './page.js';
export { parseRequestPage, REQUEST_PAGE_WORDS } from './request-page.js';
export { LISTING_PAGE_WORDS, parseListingPage } from './listing-page.js';
export { parseRemovedPage } from './removed-page.js';
export { parseJsonText, parseRequestJson, parseBodyJson, parseUserJson } from './json.js';
export type { BodyInfo, BodyJson, RequestJson, RequestJsonEvent, Tag, UserJson, WithWarnings } from './json.js';
export { parseAuthoritiesCsv } from './authorities-csv.js';
export type { AuthoritiesCsv, AuthorityCsvRow } from './authorities-csv.js';
export { parseRobots } from './robots.js';
export type { RobotsRules } from './robots.js';
export { PageKindError } from './errors.js';
export { statusLabels } from './status.js';
export { canonicalRequestUrl, defaultSiteUrl } from './urls.js';
export { contentTypeFromFilename } from './content-types.js';
export { loadHtml } from './dom.js';
export type {
  Attachment,
  EventKind,
  ListingEventKind,
  ListingItem,
  ListingPage,
  NamedSlug,
  PageOptions,
  ParsedPage,
  RemovedPage,
  RequestEvent,
  RequestPage,
  RequestProminence,
  RequestSummary,
  Requester,
  UnknownPage,
} from './types.js';
