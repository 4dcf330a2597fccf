
export interface ArchiveConfig {
  archiveDir: string;
  databaseUrl?: string;
  s3?: { endPoint: string; port?: number; useSSL?: boolean; bucket: string; accessKey: string; secretKey: string; region?: string };
}

export type CaptureKind = 'page' | 'json' | 'attachment' | 'robots' | 'listing' | 'csv' | 'other';

export interface CaptureInput {
  siteId: number;
  runId?: number;
  url: string;
  fetchedAt: Date;
  status: number;
  method?: 'GET';
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  /** body stored with putBlob first; null for bodiless answers (304, 404 without body) */
  sha256: string | null;
  size: number | null;
  kind: CaptureKind;
}

/** The newest stored 200 answer for a URL: its body and the validators to ask the site whether it changed. */
export interface LatestCapture {
  captureId: number;
  sha256: string;
  contentType: string | null;
  etag: string | null;
  lastModified: string | null;
}

/** An attachment a run already downloaded and stored (blob and capture). */
export interface KeptDownload {
  captureId: number;
  sha256: string;
  size: number;
  fetchedAt: Date;
}

export interface PersonInput {
  remoteId?: number;
  urlName: string;
  name: string;
}

export interface AttachmentInput {
  remoteId: number;
  /**
   * Alaveteli's url part number; the identity is (request, incoming message, part). Defaults to remoteId (negated
   * when a sibling's part is that number).
   */
  part?: number;
  filename?: string;
  contentType?: string;
  sourceUrl?: string;
  hidden: boolean;
  /** present once the bytes are stored (putBlob first) */
  content?: { sha256: string; size: number; captureId?: number; fetchedAt: Date };
}

export interface EventInput {
  kind: 'outgoing' | 'incoming' | 'comment';
  messageId: number;
  eventId?: number;
  time?: Date;
  author?: string;
  hidden: boolean;
  text?: string;
  attachments: AttachmentInput[];
}

export interface ReconcileInput {
  remoteId: number;
  urlTitle: string;
  title: string;
  authority: PersonInput;
  requester: PersonInput | null;
  describedState?: string;
  status: string;
  statusLabel?: string;
  prominence: string;
  remoteCreatedAt?: Date;
  remoteUpdatedAt?: Date;
  remoteEventIds?: number[];
  raw?: object;
  events: EventInput[];
}

export interface ReconcileOutcome {
  requestId: number;
  created: boolean;
  changed: boolean;
  newEvents: number;
  newAttachments: number;
  statusChanged: boolean;
  renamed: boolean;
}

export interface SearchQuery {
  text?: string;
  /** requests that cite this exemption (a code of EXEMPTIONS) in a message or document the site shows */
  exemption?: string;
  /** requests whose first reply came on time or late, or has not come, past the due date or not (RequestTimeliness) */
  timeliness?: TimelinessOutcome;
  /** authority url_name */
  authority?: string;
  status?: string;
  /** requester url_name */
  requester?: string;
  /** on the request's remote creation date, inclusive */
  from?: Date;
  to?: Date;
  /** sniffed type of a document: pdf, docx... */
  type?: string;
  sort?: 'relevance' | 'date';
  limit?: number;
  offset?: number;
  includeRemoved?: boolean;
  /**
   * Also requests the site keeps off its listings and out of its search, though public by their link (backpage
   * prominence): left out by default, as the site leaves them out.
   */
  includeUnlisted?: boolean;
  siteId?: number;
}

/** The filters of a query that name something: an authority, a requester, a status, a document type. */
export type NamingFilter = 'authority' | 'requester' | 'status' | 'type';

export interface Facet {
  key: string;
  label: string;
  count: number;
}

export interface SearchHit {
  kind: 'request' | 'document';
  requestId: number;
  remoteId: number;
  urlTitle: string;
  title: string;
  authority: { urlName: string; name: string };
  status: string;
  /** the request's remote creation time, ISO 8601 */
  date: string | null;
  rank: number;
  /**
   * HTML-safe: every character of the source text is escaped; the only markup is `<mark>…</mark>`
   * around matched words. Insert as HTML as is; do not escape again.
   */
  snippet: string;
  /** the same snippet as plain-text parts, for terminals and JSON consumers */
  snippetParts: { text: string; match: boolean }[];
  attachment?: { id: number; filename: string | null; sha256: string; page: number; type: string | null };
  /** set only on a request the site has removed, which only `includeRemoved` finds: when it was noticed, ISO 8601 */
  removedAt?: string;
  /** with `removedAt`: the reason recorded (the site's notice), if any */
  removalReason?: string | null;
  /** set only on a request the site keeps off its listings and search (backpage), which only `includeUnlisted` finds */
  unlisted?: true;
}

/**
 * A match as an item that entered the archive, for following a search: a request, from when it was first archived,
 * or a document, from when its attachment was fetched: one item however many of its pages match, with the first.
 */
export interface ArchivedMatch extends Pick<SearchHit, 'kind' | 'requestId' | 'remoteId' | 'urlTitle' | 'title' | 'authority' | 'status' | 'date' | 'snippetParts'> {
  /** when it entered the archive, ISO 8601 */
  archivedAt: string;
  /** `page` is its first page that matches (its first page when the query has no words) */
  attachment?: NonNullable<SearchHit['attachment']>;
}

export interface SearchResult {
  /** every match when `totalIsEstimate` is false; otherwise a lower bound: show it as "N+" */
  total: number;
  /**
   * More matches than a search counts exactly (10,000 by default): `total` is that limit, facets count
   * only the matches seen, and relevance order ranks among them; date order is still exact.
   */
  totalIsEstimate: boolean;
  hits: SearchHit[];
  /** `exemption`: requests citing each exemption (its code as key, "code: heading" as label), most cited first */
  facets: { authority: Facet[]; status: Facet[]; type: Facet[]; year: Facet[]; exemption: Facet[] };
}

/** How many requests cite each exemption, of those counted (`requests`); `citing` cite at least one. */
export interface ExemptionTally {
  requests: number;
  citing: number;
  /** most cited first */
  exemptions: { code: string; label: string; requests: number }[];
}

/**
 * How promptly the requests counted were answered. `requests` are those with a known sending time; each is `onTime`
 * or `late` (by its first message from the authority, an acknowledgement included, against the 20th working day after
 * it was sent), or has had no message yet: `overdue` once past that day, else `waiting`. `answered` are those with a
 * message their requester classified as an answer (successful, partly, not held or refused), on time or late.
 */
export interface TimelinessTally {
  requests: number;
  replied: number;
  onTime: number;
  late: number;
  overdue: number;
  waiting: number;
  /** Working days to the first message, of those replied to; null when none was. */
  medianWorkingDays: number | null;
  answered: number;
  answeredOnTime: number;
  answeredLate: number;
  medianAnswerWorkingDays: number | null;
  /** Those the site itself logged overdue (still waiting for an answer past the due date), and very overdue. */
  markedOverdue: number;
  markedVeryOverdue: number;
  internalReviews: number;
}

export type TimelinessOutcome = 'on_time' | 'late' | 'overdue' | 'waiting';

/** One authority's tally, for the table of all of them. */
export interface AuthorityTimeliness extends TimelinessTally {
  authority: { urlName: string; name: string };
}

/** A request's dates against the law's 20 working days (`RequestDetail.timeliness`). */
export interface RequestTimeliness {
  sentAt: Date;
  /** The days (YYYY-MM-DD) in London, the site's time zone, which the law's count goes by. */
  sentOn: string;
  /** When the clock last started: when it was sent, or resent, or clarified as the authority asked, as the site counts. */
  clockStartedAt: Date;
  clockStartedOn: string;
  /** The 20th working day after the day the clock started. */
  dueOn: string;
  /** The first message from the authority since the clock started, an acknowledgement included. */
  firstResponseAt: Date | null;
  firstResponseOn: string | null;
  /** Working days after the day the clock started to the first message. */
  responseWorkingDays: number | null;
  /** As the tallies count it: a first reply by the due date or after it, or none yet, past it or not (London's today). */
  outcome: TimelinessOutcome;
  /** The first message its requester classified as an answer, and the working days to it. */
  firstAnswerAt: Date | null;
  firstAnswerOn: string | null;
  answerWorkingDays: number | null;
  siteOverdue: 'overdue' | 'very_overdue' | null;
  internalReviewRequested: boolean;
}

export interface AttachmentSummary {
  id: number;
  incomingMessageId: number;
  part: number;
  remoteId: number | null;
  filename: string | null;
  contentType: string | null;
  sourceUrl: string | null;
  hidden: boolean;
  removedAt: Date | null;
  sha256: string | null;
  size: number | null;
  /** sniffed type of the stored content (pdf, docx...) */
  type: string | null;
  pageCount: number | null;
  captureId: number | null;
  fetchedAt: Date | null;
  /** FOI and EI exemptions its text cites (codes of EXEMPTIONS), each with the pages citing it; null until extracted */
  exemptions: { code: string; pages: number[] }[] | null;
}

export interface EventDetail {
  id: number;
  kind: 'outgoing' | 'incoming' | 'comment';
  messageId: number;
  eventId: number | null;
  time: Date | null;
  author: string | null;
  hidden: boolean;
  text: string | null;
  /** FOI and EI exemptions an authority's message cites; null for the requester's messages and comments */
  exemptions: string[] | null;
  attachments: AttachmentSummary[];
}

export interface CaptureSummary {
  id: number;
  url: string;
  fetchedAt: Date;
  status: number;
  kind: CaptureInput['kind'];
  sha256: string | null;
  size: number | null;
  snapshotPdfSha256: string | null;
  snapshotPngSha256: string | null;
}

export interface HistoryEntry {
  at: Date;
  change: 'status' | 'renamed' | 'removed' | 'restored' | 'content_changed';
  from: string | null;
  to: string | null;
  runId: number | null;
  detail: Record<string, unknown> | null;
}

export interface RequestDetail {
  id: number;
  siteId: number;
  remoteId: number;
  urlTitle: string;
  title: string;
  describedState: string | null;
  status: string;
  statusLabel: string | null;
  prominence: string;
  remoteCreatedAt: Date | null;
  remoteUpdatedAt: Date | null;
  firstArchivedAt: Date;
  lastCheckedAt: Date;
  lastChangedAt: Date;
  /** set when the site stopped serving the thread: the web answers 410 */
  removedAt: Date | null;
  removalReason: string | null;
  /** null when its JSON gave no sending time */
  timeliness: RequestTimeliness | null;
  authority: { id: number; remoteId: number | null; urlName: string; name: string };
  requester: { urlName: string; name: string } | null;
  /** in thread order; each with its attachments */
  events: EventDetail[];
  /** all attachments of the thread (the same objects as under events) */
  attachments: AttachmentSummary[];
  captures: CaptureSummary[];
  history: HistoryEntry[];
}

export interface CaptureDetail {
  id: number;
  url: string;
  fetchedAt: Date;
  status: number;
  method: string;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
  sha256: string | null;
  size: number | null;
  kind: CaptureInput['kind'];
  runId: number | null;
}

export interface AttachmentDetail extends AttachmentSummary {
  blob: {
    sha256: string;
    size: number;
    sniffedType: string | null;
    mime: string | null;
    storageKey: string;
    createdAt: Date;
    verifiedAt: Date | null;
    pageCount: number | null;
    needsOcr: boolean | null;
  } | null;
  /** the fetch the bytes came from */
  capture: CaptureDetail | null;
  request: {
    id: number;
    siteId: number;
    remoteId: number;
    urlTitle: string;
    title: string;
    authority: { urlName: string; name: string };
    /** 'backpage': the site serves the request by its link but keeps it off its listings, search and search engines */
    prominence: string;
    removedAt: Date | null;
    removalReason: string | null;
  };
  message: { kind: EventDetail['kind']; messageId: number; eventId: number | null; time: Date | null; author: string | null; hidden: boolean } | null;
  /** Text extraction of the content, as its job in the queue stands; null before the content is stored. */
  extraction: ExtractionState | null;
}

/** Where a document's text extraction stands, and what it said about the document. */
export interface ExtractionState {
  /** pending: waiting for a worker (again, after a failed attempt); failed: given up on, `error` says why */
  status: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  error: string | null;
  finishedAt: Date | null;
  /** what extraction noticed about a document it read (truncated, a page it could not read, a scan without OCR...) */
  warnings: string[];
}

/**
 * Another attachment with the same content (sha256) as a given one: the same document released again, to another
 * requester or by another authority (or twice in one thread). It carries what decides whether the site shows it.
 */
export interface AttachmentCopy {
  id: number;
  filename: string | null;
  hidden: boolean;
  removedAt: Date | null;
  /** the time of the message it came with: who got the document first */
  messageTime: Date | null;
  messageHidden: boolean;
  request: {
    id: number;
    remoteId: number;
    urlTitle: string;
    title: string;
    prominence: string;
    removedAt: Date | null;
    authority: { urlName: string; name: string };
  };
}

/** An attachment's copies, earliest message first, at most 100 of them; `more` counts the rest. */
export interface AttachmentCopies {
  copies: AttachmentCopy[];
  more: number;
}

export interface ExportRow {
  kind: 'request' | 'document';
  requestId: number;
  remoteId: number;
  urlTitle: string;
  title: string;
  authority: { urlName: string; name: string };
  requester: { urlName: string; name: string } | null;
  status: string;
  describedState: string | null;
  remoteCreatedAt: Date | null;
  remoteUpdatedAt: Date | null;
  removedAt: Date | null;
  /** the exemptions the request cites (codes of EXEMPTIONS), as `exemptionsCited` reads them; on its document rows too */
  exemptions: string[];
  /** the request's dates against the 20 working days (RequestTimeliness, as days); on its document rows too */
  timeliness: Pick<
    RequestTimeliness,
    'sentOn' | 'clockStartedOn' | 'dueOn' | 'firstResponseOn' | 'responseWorkingDays' | 'firstAnswerOn' | 'answerWorkingDays' | 'siteOverdue' | 'internalReviewRequested'
  > | null;
  attachment?: {
    id: number;
    filename: string | null;
    sha256: string;
    size: number | null;
    type: string | null;
    page: number;
    sourceUrl: string | null;
    fetchedAt: Date | null;
  };
}

export interface RunRow {
  id: number;
  siteId: number | null;
  scope: Record<string, unknown>;
  startedAt: Date;
  endedAt: Date | null;
  outcome: 'running' | 'ok' | 'failed' | 'interrupted' | 'stopped';
  counters: Record<string, number>;
  error: string | null;
  pid: number | null;
  host: string | null;
}

/** An original that failed verification: its object gone, its bytes changed, or its object there but unreadable. */
export type VerifyProblem =
  | { kind: 'missing'; sha256: string }
  | { kind: 'changed'; sha256: string; actual: string }
  | { kind: 'unreadable'; sha256: string; reason: string };

export interface VerifyReport {
  checked: number;
  ok: number;
  /** In the order the originals were checked (by sha256). */
  problems: VerifyProblem[];
  /**
   * Objects in the store that no blob row names: stored by a run killed before it indexed them (the object always
   * goes first), or left by a purge killed between its rows and its objects. Nothing points at them.
   */
  unindexed: string[];
  /** With `removeUnindexed`: the unindexed objects deleted (those untouched for the grace period). */
  removed: string[];
}

export interface VerifyOptions {
  onProgress?: (checked: number) => void;
  /** Delete unindexed objects last written more than `unindexedGraceMs` ago; needs the run lock. */
  removeUnindexed?: boolean;
  /** Default LEFTOVER_GRACE_MS (10 minutes). */
  unindexedGraceMs?: number;
}

export type FrontierKind = 'request' | 'listing' | 'attachment' | 'body' | 'user' | 'csv';

export interface FrontierItem {
  kind: FrontierKind;
  /** dedupe key within a run */
  key: string;
  url: string;
  payload?: object;
  priority?: number;
  /** not claimable before this time */
  notBefore?: Date;
}

export interface FrontierRow {
  id: number;
  runId: number;
  kind: FrontierKind;
  key: string;
  url: string;
  payload: Record<string, unknown> | null;
  priority: number;
  /** `skipped`: left out by the site's wish (robots.txt), not a failure. */
  status: 'pending' | 'claimed' | 'done' | 'failed' | 'skipped';
  attempts: number;
  notBefore: Date | null;
  claimedAt: Date | null;
  error: string | null;
}

export interface ExtractionResult {
  type: string;
  mime?: string;
  pageCount: number;
  needsOcr: boolean;
  warnings: string[];
  metadata: object;
  pages: { number: number; text: string }[];
}

/** The extraction queue: jobs by state, and the failed ones with why. */
export interface JobOverview {
  counts: { pending: number; running: number; done: number; failed: number };
  failed: {
    sha256: string;
    attempts: number;
    error: string | null;
    finishedAt: Date | null;
    /** an attachment holding it, and its request: where to find the document */
    filename: string | null;
    urlTitle: string | null;
  }[];
}

export interface JobClaim {
  id: number;
  sha256: string;
  attempts: number;
}

