/** A link target on the site: display name plus the url_name slug. */
export interface NamedSlug {
  name: string;
  urlName: string;
}

export interface Requester {
  name: string;
  /** Missing for external (API-created) requests, which have no user account. */
  urlName?: string;
}

export type RequestProminence = 'normal' | 'backpage' | 'requester_only' | 'hidden';

export interface Attachment {
  /** Database id from `li#attachment-N`; not the URL part number. */
  id: number;
  /** `url_part_number` from the download URL. */
  part?: number;
  filename?: string;
  /** Absolute download URL exactly as the page links it. */
  url?: string;
  contentType?: string;
  /** As displayed, e.g. "245K" or "1.2M". */
  sizeText?: string;
  hidden: boolean;
  erased?: boolean;
}

export type EventKind = 'outgoing' | 'incoming' | 'comment';

export interface RequestEvent {
  kind: EventKind;
  /** Message or comment id from `outgoing-N`, `incoming-N`, `comment-N`. */
  id: number;
  /** ISO 8601 with offset, from `<time datetime>`. */
  time?: string;
  author?: string;
  hidden: boolean;
  text?: string;
  /** True when a quoted section was folded away (page fetched without `?unfold=1`). */
  folded?: boolean;
  /** True when the message was sent again (a resent block reused its id). */
  resent?: boolean;
  attachments: Attachment[];
}

export interface RequestSummary {
  id?: number;
  urlTitle: string;
  title: string;
  /** Status key from `request-status-message--<status>` (§6.1). */
  status: string;
  /** English label of the status (§6.1), or the page's wording for an unknown key. */
  statusLabel: string;
  authority: NamedSlug;
  requester: Requester | null;
  prominence?: RequestProminence;
  notices?: string[];
  lang: string;
}

export interface RequestPage {
  kind: 'request';
  request: RequestSummary;
  events: RequestEvent[];
  warnings: string[];
}

export interface RemovedPage {
  kind: 'removed';
  title: string;
  notice: string;
  warnings: string[];
}

export type ListingEventKind = 'outgoing' | 'incoming' | 'comment' | 'sent';

export interface ListingItem {
  urlTitle: string;
  title: string;
  href: string;
  eventKind: ListingEventKind;
  eventId?: number;
  time?: string;
  status?: string;
  statusLabel?: string;
  authority?: NamedSlug;
  requester?: NamedSlug;
}

export interface ListingPage {
  kind: 'listing';
  items: ListingItem[];
  nextPage?: string;
  totalText?: string;
  total?: number;
  page?: number;
  /**
   * The highest page number the pagination offers. It follows the listed results (filters included, capped at 20
   * pages), where an authority page's `total` is the authority's whole count whatever the filter.
   */
  lastPage?: number;
  warnings: string[];
}

export interface UnknownPage {
  kind: 'unknown';
  warnings: string[];
}

export type ParsedPage = RequestPage | RemovedPage | ListingPage | UnknownPage;

export interface PageOptions {
  /** The URL the page was fetched from; used to resolve links and read the slug. */
  url?: string;
}
