export { parsePage } from './page.js';
export { parseRequestPage } from './request-page.js';
export { parseListingPage } from './listing-page.js';
export { parseRemovedPage } from './removed-page.js';
export { parseRequestJson, parseBodyJson, parseUserJson } from './json.js';
export type { BodyInfo, BodyJson, RequestJson, RequestJsonEvent, Tag, UserJson, WithWarnings } from './json.js';
export { parseAuthoritiesCsv } from './authorities-csv.js';
export type { AuthoritiesCsv, AuthorityCsvRow } from './authorities-csv.js';
export { parseRobots } from './robots.js';
export type { RobotsRules } from './robots.js';
export { PageKindError } from './errors.js';
export { statusLabels } from './status.js';
export { canonicalRequestUrl, defaultSiteUrl } from './urls.js';
export { contentTypeFromFilename } from './content-types.js';
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
