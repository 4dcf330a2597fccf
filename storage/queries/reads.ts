import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import { attachments, authorities, blobs, captures, events, jobs, requestHistory, requests, users } from '../db/schema.js';
import { AmbiguousRequestError } from '../errors.js';
import type { AttachmentCopies, AttachmentDetail, AttachmentSummary, CaptureSummary, EventDetail, RequestDetail, TimelinessOutcome } from '../types.js';
import { timelinessOutcomeIs } from './search.js';
import { TIMELINESS_OUTCOMES } from './timeliness.js';

const SHA256 = /^[0-9a-f]{64}$/;
// Ids are 32-bit columns: a larger number matches nothing, and as a query parameter Postgres would reject it.
const MAX_ID = 2_147_483_647;

/**
 * Request ids for a user-facing reference: digits are the site's remote id, anything else a url_title
 * (current, or an earlier one the request was renamed from).
 */
export async function resolveRequestIds(db: Db, slugOrId: string, siteId?: number): Promise<{ id: number; siteId: number }[]> {
  const ref = slugOrId.trim();
  const site = siteId === undefined ? sql`true` : eq(requests.siteId, siteId);
  const select = (where: SQL) =>
    // Two requests of a site can share a slug (one renamed, a newer one given its old slug): the current one comes first.
    db
      .select({ id: requests.id, siteId: requests.siteId })
      .from(requests)
      .where(and(site, where))
      .orderBy(asc(requests.siteId), sql`${requests.removedAt} is not null`, desc(requests.remoteId));
  if (/^\d+$/.test(ref)) return Number(ref) <= MAX_ID ? select(eq(requests.remoteId, Number(ref))) : [];
  const current = await select(eq(requests.urlTitle, ref));
  if (current.length) return current;
  return select(
    inArray(
      requests.id,
      db.select({ id: requestHistory.requestId }).from(requestHistory).where(and(eq(requestHistory.change, 'renamed'), eq(requestHistory.fromValue, ref))),
    ),
  );
}

export async function resolveOneRequest(db: Db, slugOrId: string, siteId?: number): Promise<number | null> {
  const found = await resolveRequestIds(db, slugOrId, siteId);
  const sites = [...new Set(found.map((f) => f.siteId))];
  if (sites.length > 1) throw new AmbiguousRequestError(slugOrId, sites);
  return found[0]?.id ?? null;
}

const attachmentColumns = {
  id: attachments.id,
  incomingMessageId: attachments.incomingMessageId,
  part: attachments.part,
  remoteId: attachments.remoteId,
  filename: attachments.filename,
  contentType: attachments.contentType,
  sourceUrl: attachments.sourceUrl,
  hidden: attachments.hidden,
  removedAt: attachments.removedAt,
  sha256: attachments.sha256,
  size: attachments.size,
  type: blobs.sniffedType,
  pageCount: blobs.pageCount,
  captureId: attachments.captureId,
  fetchedAt: attachments.fetchedAt,
  // each code with the pages citing it, once the text is extracted
  exemptions: sql<{ code: string; pages: number[] }[] | null>`case when ${blobs.extractionStatus} = 'done' then coalesce((
    select json_agg(json_build_object('code', c.code, 'pages', c.pages) order by c.code)
    from (select code, array_agg(p.page order by p.page) as pages
          from document_pages p cross join unnest(p.exemptions) as code where p.sha256 = ${attachments.sha256} group by code) c
  ), '[]'::json) end`,
};

// en-CA writes a date as YYYY-MM-DD.
const londonDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

// The outcome as search filters and tallies count it, by the same rule and the database's today.
const timelinessOutcome = sql<TimelinessOutcome | null>`case ${sql.join(
  TIMELINESS_OUTCOMES.map((outcome) => sql`when ${timelinessOutcomeIs(outcome, sql.raw('"requests"'))} then ${outcome}`),
  sql` `,
)} end`;

export async function getRequest(
  db: Db,
  slugOrId: string,
  opts: { includeRemoved?: boolean; siteId?: number } = {},
): Promise<RequestDetail | null> {
  const id = await resolveOneRequest(db, slugOrId, opts.siteId);
  if (id === null) return null;
  const [row] = await db
    .select({ request: requests, timelinessOutcome, authority: authorities, requester: { urlName: users.urlName, name: users.name } })
    .from(requests)
    .innerJoin(authorities, eq(authorities.id, requests.authorityId))
    .leftJoin(users, eq(users.id, requests.requesterId))
    .where(eq(requests.id, id));
  if (!row) return null;
  const r = row.request;
  if (r.removedAt && !opts.includeRemoved) return null;

  const [eventRows, attachmentRows, historyRows] = await Promise.all([
    db.select().from(events).where(eq(events.requestId, id)).orderBy(sql`${events.time} asc nulls last`, asc(events.id)),
    db
      .select(attachmentColumns)
      .from(attachments)
      .leftJoin(blobs, eq(blobs.sha256, attachments.sha256))
      .where(eq(attachments.requestId, id))
      .orderBy(asc(attachments.incomingMessageId), asc(attachments.part)),
    db.select().from(requestHistory).where(eq(requestHistory.requestId, id)).orderBy(asc(requestHistory.at), asc(requestHistory.id)),
  ]);
  const captureIds = attachmentRows.flatMap((a) => (a.captureId ? [a.captureId] : []));
  const captureRows = await db
    .select({
      id: captures.id,
      url: captures.url,
      fetchedAt: captures.fetchedAt,
      status: captures.status,
      kind: captures.kind,
      sha256: captures.sha256,
      size: captures.size,
      snapshotPdfSha256: captures.snapshotPdfSha256,
      snapshotPngSha256: captures.snapshotPngSha256,
    })
    .from(captures)
    .where(or(eq(captures.requestId, id), captureIds.length ? inArray(captures.id, captureIds) : sql`false`))
    .orderBy(asc(captures.fetchedAt), asc(captures.id));

  const attachmentList: AttachmentSummary[] = attachmentRows.map((a) => ({ ...a }));
  const eventList: EventDetail[] = eventRows.map((e) => ({
    id: e.id,
    kind: e.kind,
    messageId: e.messageId,
    eventId: e.eventId,
    time: e.time,
    author: e.author,
    hidden: e.hidden,
    text: e.text,
    exemptions: e.exemptions,
    attachments: e.kind === 'incoming' ? attachmentList.filter((a) => a.incomingMessageId === e.messageId) : [],
  }));
  return {
    id: r.id,
    siteId: r.siteId,
    remoteId: r.remoteId,
    urlTitle: r.urlTitle,
    title: r.title,
    describedState: r.describedState,
    status: r.status,
    statusLabel: r.statusLabel,
    prominence: r.prominence,
    remoteCreatedAt: r.remoteCreatedAt,
    remoteUpdatedAt: r.remoteUpdatedAt,
    firstArchivedAt: r.firstArchivedAt,
    lastCheckedAt: r.lastCheckedAt,
    lastChangedAt: r.lastChangedAt,
    removedAt: r.removedAt,
    removalReason: r.removalReason,
    timeliness:
      r.sentAt && r.clockStartedAt && r.dueOn && row.timelinessOutcome
        ? {
            sentAt: r.sentAt,
            sentOn: londonDay.format(r.sentAt),
            clockStartedAt: r.clockStartedAt,
            clockStartedOn: londonDay.format(r.clockStartedAt),
            dueOn: r.dueOn,
            firstResponseAt: r.firstResponseAt,
            firstResponseOn: r.firstResponseAt && londonDay.format(r.firstResponseAt),
            responseWorkingDays: r.responseWorkingDays,
            outcome: row.timelinessOutcome,
            firstAnswerAt: r.firstAnswerAt,
            firstAnswerOn: r.firstAnswerAt && londonDay.format(r.firstAnswerAt),
            answerWorkingDays: r.answerWorkingDays,
            siteOverdue: r.siteOverdue,
            internalReviewRequested: r.internalReviewRequested === true,
          }
        : null,
    authority: { id: row.authority.id, remoteId: row.authority.remoteId, urlName: row.authority.urlName, name: row.authority.name },
    requester: row.requester,
    events: eventList,
    attachments: attachmentList,
    captures: captureRows satisfies CaptureSummary[],
    history: historyRows.map((h) => ({ at: h.at, change: h.change, from: h.fromValue, to: h.toValue, runId: h.runId, detail: h.detail })),
  };
}

/**
 * An attachment by our id, or by the sha256 of its content: then the first one the site still shows (of a live
 * request, neither it nor its message hidden or removed), else the first at all. What is no longer public comes
 * back flagged (request.removedAt, hidden, removedAt, message.hidden): the caller decides (410).
 */
export async function getAttachment(db: Db, idOrSha: string): Promise<AttachmentDetail | null> {
  const ref = idOrSha.trim().toLowerCase();
  let where: SQL;
  if (SHA256.test(ref)) where = eq(attachments.sha256, ref);
  else if (/^\d+$/.test(ref) && Number(ref) <= MAX_ID) where = eq(attachments.id, Number(ref));
  else return null;
  const [row] = await db
    .select({
      attachment: attachmentColumns,
      blob: blobs,
      request: {
        id: requests.id,
        siteId: requests.siteId,
        remoteId: requests.remoteId,
        urlTitle: requests.urlTitle,
        title: requests.title,
        prominence: requests.prominence,
        removedAt: requests.removedAt,
        removalReason: requests.removalReason,
      },
      authority: { urlName: authorities.urlName, name: authorities.name },
      capture: captures,
      message: { kind: events.kind, messageId: events.messageId, eventId: events.eventId, time: events.time, author: events.author, hidden: events.hidden },
      job: { status: jobs.status, attempts: jobs.attempts, error: jobs.error, finishedAt: jobs.finishedAt },
    })
    .from(attachments)
    .innerJoin(requests, eq(requests.id, attachments.requestId))
    .innerJoin(authorities, eq(authorities.id, requests.authorityId))
    .leftJoin(blobs, eq(blobs.sha256, attachments.sha256))
    .leftJoin(captures, eq(captures.id, attachments.captureId))
    .leftJoin(jobs, eq(jobs.sha256, attachments.sha256))
    .leftJoin(
      events,
      and(eq(events.requestId, attachments.requestId), eq(events.kind, 'incoming'), eq(events.messageId, attachments.incomingMessageId)),
    )
    .where(where)
    .orderBy(
      sql`${requests.removedAt} is not null`,
      sql`(${attachments.hidden} or ${attachments.removedAt} is not null or coalesce(${events.hidden}, false))`,
      // By sha256, a listed request's copy before a backpage one's: the one the site would put before a reader.
      sql`${requests.prominence} = 'backpage'`,
      asc(attachments.id),
    )
    .limit(1);
  if (!row) return null;
  const c = row.capture;
  const b = row.blob;
  return {
    ...row.attachment,
    blob: b
      ? {
          sha256: b.sha256,
          size: b.size,
          sniffedType: b.sniffedType,
          mime: b.mime,
          storageKey: b.storageKey,
          createdAt: b.createdAt,
          verifiedAt: b.verifiedAt,
          pageCount: b.pageCount,
          needsOcr: b.needsOcr,
        }
      : null,
    capture: c
      ? {
          id: c.id,
          url: c.url,
          fetchedAt: c.fetchedAt,
          status: c.status,
          method: c.method,
          requestHeaders: c.requestHeaders,
          responseHeaders: c.responseHeaders,
          sha256: c.sha256,
          size: c.size,
          kind: c.kind,
          runId: c.runId,
        }
      : null,
    request: { ...row.request, authority: row.authority },
    message: row.message?.messageId != null ? row.message : null,
    extraction: row.job?.status != null ? { ...row.job, warnings: b?.warnings ?? [] } : null,
  };
}

/** Copies listed per attachment; one released to hundreds of requesters names the first hundred and counts the rest. */
const COPIES_LIMIT = 100;

interface CopyRow {
  of_id: number;
  id: number;
  filename: string | null;
  hidden: boolean;
  removed_at: Date | string | null;
  message_time: Date | string | null;
  message_hidden: boolean;
  request_id: number;
  remote_id: number;
  url_title: string;
  title: string;
  prominence: string;
  request_removed_at: Date | string | null;
  authority_url_name: string;
  authority_name: string;
  listed: number;
  copies: number;
}

// Raw rows carry timestamps as the driver gives them: a Date from PGlite, a string from node-postgres.
const asDate = (value: Date | string | null) => (value === null ? null : new Date(value));

/**
 * For each of these attachments, the other attachments with the same content, earliest message first (who got the
 * document first), in one statement. Without `includeWithheld`, only the copies the site shows and lists: of a live
 * request it keeps on its listings (not backpage), neither the copy nor its message hidden, the copy not removed; the
 * limit and the count of the rest then see only those, so nothing of a withheld copy shows. An attachment with no
 * such copy has no entry.
 */
export async function attachmentCopies(db: Db, attachmentIds: number[], opts: { includeWithheld?: boolean } = {}): Promise<Map<number, AttachmentCopies>> {
  const found = new Map<number, AttachmentCopies>();
  if (attachmentIds.length === 0) return found;
  const shown = opts.includeWithheld
    ? sql`true`
    : sql`r.removed_at is null and r.prominence <> 'backpage' and not a.hidden and a.removed_at is null and not coalesce(e.hidden, false)`;
  const rows = await rowsOf<CopyRow>(
    db,
    sql`select * from (
          select m.id as of_id, a.id, a.filename, a.hidden, a.removed_at, e.time as message_time,
                 coalesce(e.hidden, false) as message_hidden, r.id as request_id, r.remote_id, r.url_title, r.title,
                 r.prominence, r.removed_at as request_removed_at, au.url_name as authority_url_name, au.name as authority_name,
                 (row_number() over (partition by m.id order by e.time asc nulls last, a.id))::int as listed,
                 (count(*) over (partition by m.id))::int as copies
          from attachments m
          join attachments a on a.sha256 = m.sha256 and a.id <> m.id
          join requests r on r.id = a.request_id
          join authorities au on au.id = r.authority_id
          left join events e on e.request_id = a.request_id and e.kind = 'incoming' and e.message_id = a.incoming_message_id
          where m.id in (${sql.join(attachmentIds.map((id) => sql`${id}`), sql`, `)}) and ${shown}
        ) c
        where c.listed <= ${COPIES_LIMIT}
        order by c.of_id, c.listed`,
  );
  for (const row of rows) {
    let entry = found.get(row.of_id);
    if (!entry) found.set(row.of_id, (entry = { copies: [], more: Math.max(0, row.copies - COPIES_LIMIT) }));
    entry.copies.push({
      id: row.id,
      filename: row.filename,
      hidden: row.hidden,
      removedAt: asDate(row.removed_at),
      messageTime: asDate(row.message_time),
      messageHidden: row.message_hidden,
      request: {
        id: row.request_id,
        remoteId: row.remote_id,
        urlTitle: row.url_title,
        title: row.title,
        prominence: row.prominence,
        removedAt: asDate(row.request_removed_at),
        authority: { urlName: row.authority_url_name, name: row.authority_name },
      },
    });
  }
  return found;
}
