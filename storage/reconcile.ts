import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from './db/connect.js';
import { attachments, authorities, blobs, captures, events, jobs, requestHistory, requests, users } from './db/schema.js';
import { BlobMissingError } from './errors.js';
import type { PersonInput, ReconcileInput, ReconcileOutcome } from './types.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type HistoryRow = typeof requestHistory.$inferInsert;

// The foreign keys that make a row naming a blob wait for that blob's row (write order: blob first, then rows).
const BLOB_REFERENCES = new Set(['captures_sha256_blobs_sha256_fk', 'attachments_sha256_blobs_sha256_fk']);

/**
 * A row refused for naming a blob that has no row (SQLSTATE 23503 on a blob reference) as BlobMissingError;
 * any other error as it is. Both drivers report code, constraint and detail; drizzle wraps their error in `cause`.
 */
export function asBlobMissing(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; current instanceof Object && depth < 4; depth++) {
    const { code, constraint, detail, cause } = current as { code?: unknown; constraint?: unknown; detail?: unknown; cause?: unknown };
    if (code === '23503' && typeof constraint === 'string' && BLOB_REFERENCES.has(constraint)) {
      return new BlobMissingError(/\(sha256\)=\((\w+)\)/.exec(String(detail))?.[1] ?? 'unknown');
    }
    current = cause;
  }
  return error;
}

const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

function upsertAuthority(tx: Tx, siteId: number, person: PersonInput) {
  return tx
    .insert(authorities)
    .values({ siteId, remoteId: person.remoteId ?? null, urlName: person.urlName, name: person.name })
    .onConflictDoUpdate({
      target: [authorities.siteId, authorities.urlName],
      set: {
        name: sql`excluded.name`,
        remoteId: sql`coalesce(excluded.remote_id, ${authorities.remoteId})`,
        lastSeenAt: sql`now()`,
      },
    })
    .returning({ id: authorities.id });
}

function upsertUser(tx: Tx, siteId: number, person: PersonInput) {
  return tx
    .insert(users)
    .values({ siteId, remoteId: person.remoteId ?? null, urlName: person.urlName, name: person.name })
    .onConflictDoUpdate({
      target: [users.siteId, users.urlName],
      set: { name: sql`excluded.name`, remoteId: sql`coalesce(excluded.remote_id, ${users.remoteId})` },
    })
    .returning({ id: users.id });
}

interface KnownPerson {
  id: number;
  name: string;
  remoteId: number | null;
  /** the authority's last_seen_at is under an hour old (always true for a requester, who has none) */
  seenRecently: boolean;
}

/** The stored authority and requester of a thread, by url name, in one statement. */
async function readPeople(
  tx: Tx,
  siteId: number,
  authority: PersonInput,
  requester: PersonInput | null,
): Promise<{ authority?: KnownPerson; requester?: KnownPerson }> {
  const rows = await rowsOf<{ kind: 'authority' | 'requester'; id: number; name: string; remote_id: number | null; seen_recently: boolean }>(
    tx as unknown as Db,
    sql`select 'authority' as kind, id, name, remote_id, last_seen_at > now() - interval '1 hour' as seen_recently
          from ${authorities} where site_id = ${siteId} and url_name = ${authority.urlName}
        ${requester ? sql`union all select 'requester', id, name, remote_id, true from ${users} where site_id = ${siteId} and url_name = ${requester.urlName}` : sql``}`,
  );
  const known: { authority?: KnownPerson; requester?: KnownPerson } = {};
  for (const row of rows) known[row.kind] = { id: Number(row.id), name: row.name, remoteId: row.remote_id, seenRecently: row.seen_recently };
  return known;
}

/** What an upsert would change: the name, or a remote id the stored row lacks or has otherwise. */
function differs(known: KnownPerson, person: PersonInput): boolean {
  return known.name !== person.name || (person.remoteId !== undefined && known.remoteId !== person.remoteId);
}

/**
 * The thread's authority and requester: read first, and written (upserted, in one statement when both are) only when
 * new, changed, or, for the authority, not marked seen within the hour. An upsert's ON CONFLICT DO UPDATE locks its
 * row until the reconcile's transaction ends: writing the authority for every thread made the threads of one
 * authority, which a crawl meets one after another, reconcile one at a time on a PostgreSQL server.
 */
async function upsertPeople(
  tx: Tx,
  siteId: number,
  authority: PersonInput,
  requester: PersonInput | null,
): Promise<{ authorityId: number; requesterId: number | null }> {
  const known = await readPeople(tx, siteId, authority, requester);
  const keptAuthority = known.authority && known.authority.seenRecently && !differs(known.authority, authority) ? known.authority.id : undefined;
  const keptRequester = !requester ? null : known.requester && !differs(known.requester, requester) ? known.requester.id : undefined;
  if (keptAuthority !== undefined && keptRequester !== undefined) return { authorityId: keptAuthority, requesterId: keptRequester };
  if (keptAuthority !== undefined) {
    const [row] = await upsertUser(tx, siteId, requester!);
    return { authorityId: keptAuthority, requesterId: row!.id };
  }
  if (keptRequester !== undefined) {
    const [row] = await upsertAuthority(tx, siteId, authority);
    return { authorityId: row!.id, requesterId: keptRequester };
  }
  const authorityRow = tx.$with('authority_row').as(upsertAuthority(tx, siteId, authority));
  const requesterRow = tx.$with('requester_row').as(upsertUser(tx, siteId, requester!));
  const [row] = await tx
    .with(authorityRow, requesterRow)
    .select({ authorityId: authorityRow.id, requesterId: requesterRow.id })
    .from(authorityRow)
    .crossJoin(requesterRow);
  return row!;
}

/**
 * Writes the difference between a parsed thread and what is stored, in one transaction:
 * a failure anywhere leaves the stored thread as it was.
 */
export async function reconcileRequest(
  db: Db,
  siteId: number,
  input: ReconcileInput,
  ctx: { runId?: number; captureId?: number },
): Promise<ReconcileOutcome> {
  return db.transaction(async (tx) => {
    const { authorityId, requesterId } = await upsertPeople(tx, siteId, input.authority, input.requester);
    const runId = ctx.runId ?? null;
    const history: Omit<HistoryRow, 'requestId'>[] = [];

    const fields = {
      urlTitle: input.urlTitle,
      title: input.title,
      authorityId,
      requesterId,
      describedState: input.describedState ?? null,
      status: input.status,
      statusLabel: input.statusLabel ?? null,
      prominence: input.prominence,
      remoteCreatedAt: input.remoteCreatedAt ?? null,
      remoteUpdatedAt: input.remoteUpdatedAt ?? null,
      remoteEventIds: input.remoteEventIds ?? [],
      raw: (input.raw as Record<string, unknown> | undefined) ?? null,
    };

    // The columns compared below; not the raw JSON, body text or search vector.
    const [existing] = await tx
      .select({
        id: requests.id,
        urlTitle: requests.urlTitle,
        title: requests.title,
        authorityId: requests.authorityId,
        requesterId: requests.requesterId,
        describedState: requests.describedState,
        status: requests.status,
        statusLabel: requests.statusLabel,
        prominence: requests.prominence,
        remoteCreatedAt: requests.remoteCreatedAt,
        remoteUpdatedAt: requests.remoteUpdatedAt,
        remoteEventIds: requests.remoteEventIds,
        removedAt: requests.removedAt,
        removalReason: requests.removalReason,
      })
      .from(requests)
      .where(and(eq(requests.siteId, siteId), eq(requests.remoteId, input.remoteId)))
      .for('update');

    let requestId: number;
    let changed = false;
    let statusChanged = false;
    let renamed = false;
    if (!existing) {
      // A new thread has no events or attachments to look up.
      const [row] = await tx
        .insert(requests)
        .values({ siteId, remoteId: input.remoteId, ...fields })
        .returning({ id: requests.id });
      requestId = row!.id;
      changed = true;
    } else {
      requestId = existing.id;
      renamed = existing.urlTitle !== input.urlTitle;
      statusChanged = existing.status !== input.status || existing.describedState !== fields.describedState;
      if (renamed) history.push({ runId, change: 'renamed', fromValue: existing.urlTitle, toValue: input.urlTitle });
      if (statusChanged) history.push({ runId, change: 'status', fromValue: existing.status, toValue: input.status });
      if (existing.removedAt) {
        history.push({ runId, change: 'restored', fromValue: existing.removalReason, toValue: null });
      }
      changed =
        renamed ||
        statusChanged ||
        existing.removedAt !== null ||
        existing.title !== fields.title ||
        existing.authorityId !== authorityId ||
        existing.requesterId !== requesterId ||
        existing.statusLabel !== fields.statusLabel ||
        existing.prominence !== fields.prominence ||
        !sameTime(existing.remoteCreatedAt, fields.remoteCreatedAt) ||
        !sameTime(existing.remoteUpdatedAt, fields.remoteUpdatedAt) ||
        !sameIds(existing.remoteEventIds, fields.remoteEventIds);
    }

    // Events: insert the new ones (one statement, in page order); for known ones only a hidden flag flip or late text is recorded.
    const storedEvents = existing
      ? await tx
          .select({ id: events.id, kind: events.kind, messageId: events.messageId, hidden: events.hidden, text: events.text })
          .from(events)
          .where(eq(events.requestId, requestId))
      : [];
    const eventByKey = new Map(storedEvents.map((e) => [`${e.kind}:${e.messageId}`, e]));
    const newEventRows: (typeof events.$inferInsert)[] = [];
    let eventsChanged = false;
    for (const event of input.events) {
      const stored = eventByKey.get(`${event.kind}:${event.messageId}`);
      if (!stored) {
        newEventRows.push({
          requestId,
          kind: event.kind,
          messageId: event.messageId,
          eventId: event.eventId ?? null,
          time: event.time ?? null,
          author: event.author ?? null,
          hidden: event.hidden,
          text: event.text ?? null,
        });
      } else if (stored.hidden !== event.hidden || (stored.text === null && event.text)) {
        await tx
          .update(events)
          .set({ hidden: event.hidden, text: stored.text ?? event.text ?? null })
          .where(eq(events.id, stored.id));
        eventsChanged = true;
      }
    }
    // New rows of every kind are written together, after the per-row updates: see `writeTogether`.
    const writes: SQL[] = [];
    if (newEventRows.length) writes.push(tx.insert(events).values(newEventRows).getSQL());
    const newEvents = newEventRows.length;

    // Attachments: identity (request, incoming message, part); content is the sha256.
    const storedAttachments = existing
      ? await tx
          .select({
            id: attachments.id,
            incomingMessageId: attachments.incomingMessageId,
            part: attachments.part,
            sha256: attachments.sha256,
            hidden: attachments.hidden,
            removedAt: attachments.removedAt,
          })
          .from(attachments)
          .where(eq(attachments.requestId, requestId))
      : [];
    const attachmentByKey = new Map(storedAttachments.map((a) => [`${a.incomingMessageId}:${a.part}`, a]));
    const seenKeys = new Set<string>();
    const newlyStoredShas = new Set<string>();
    const captureIds = new Set<number>();
    const newAttachmentRows: (typeof attachments.$inferInsert)[] = [];
    let attachmentsChanged = false;
    for (const event of input.events) {
      // A withheld attachment has no link, so no part number: its id stands in, negated where a sibling's part is
      // that number (a small site's ids), so the two keep apart. A message's parts never change, nor does the choice.
      const parts = new Set(event.attachments.flatMap((a) => (a.part === undefined ? [] : [a.part])));
      for (const attachment of event.attachments) {
        const part = attachment.part ?? (parts.has(attachment.remoteId) ? -attachment.remoteId : attachment.remoteId);
        const key = `${event.messageId}:${part}`;
        seenKeys.add(key);
        const content = attachment.content;
        if (content?.captureId) captureIds.add(content.captureId);
        const contentFields = content
          ? { sha256: content.sha256, size: content.size, captureId: content.captureId ?? null, fetchedAt: content.fetchedAt }
          : {};
        const stored = attachmentByKey.get(key);
        if (!stored) {
          newAttachmentRows.push({
            requestId,
            incomingMessageId: event.messageId,
            part,
            remoteId: attachment.remoteId,
            filename: attachment.filename ?? null,
            contentType: attachment.contentType ?? null,
            sourceUrl: attachment.sourceUrl ?? null,
            hidden: attachment.hidden,
            ...contentFields,
          });
          if (content) newlyStoredShas.add(content.sha256);
          continue;
        }
        const contentArrived = content !== undefined && stored.sha256 !== content.sha256;
        if (contentArrived && stored.sha256 !== null) {
          history.push({
            runId,
            change: 'content_changed',
            fromValue: stored.sha256,
            toValue: content.sha256,
            detail: { incomingMessageId: event.messageId, part },
          });
        }
        if (contentArrived || stored.hidden !== attachment.hidden || stored.removedAt !== null) {
          await tx
            .update(attachments)
            .set({ hidden: attachment.hidden, removedAt: null, ...(contentArrived ? contentFields : {}) })
            .where(eq(attachments.id, stored.id));
          if (contentArrived) newlyStoredShas.add(content.sha256);
          attachmentsChanged = true;
        }
      }
    }
    if (newAttachmentRows.length) writes.push(tx.insert(attachments).values(newAttachmentRows).getSQL());
    const newAttachments = newAttachmentRows.length;
    // Attachments of messages still in the thread that the site no longer lists.
    const messagesInInput = new Set(input.events.map((e) => e.messageId));
    const vanished = storedAttachments.filter(
      (a) => a.removedAt === null && messagesInInput.has(a.incomingMessageId) && !seenKeys.has(`${a.incomingMessageId}:${a.part}`),
    );
    if (vanished.length) {
      await tx
        .update(attachments)
        .set({ removedAt: sql`now()` })
        .where(inArray(attachments.id, vanished.map((a) => a.id)));
      attachmentsChanged = true;
    }

    if (newlyStoredShas.size) {
      // Both parts read the blobs as they were before the statement, as two statements did in this order.
      const shas = [...newlyStoredShas];
      writes.push(
        sql`insert into ${jobs} (sha256)
            select sha256 from ${blobs}
            where ${inArray(blobs.sha256, shas)} and extraction_status is distinct from 'done'
            on conflict (sha256) do nothing`,
        sql`update ${blobs} set extraction_status = 'pending'
            where ${inArray(blobs.sha256, shas)} and extraction_status is null`,
      );
    }

    if (history.length) writes.push(tx.insert(requestHistory).values(history.map((h) => ({ ...h, requestId }))).getSQL());
    await writeTogether(tx, writes);

    // The request row's last write, with the captures the thread was parsed from linked to it in the same
    // statement: changed fields, the body text once its events are in, and the check times.
    if (ctx.captureId) captureIds.add(ctx.captureId);
    const linked = captureIds.size
      ? tx.$with('linked').as(tx.update(captures).set({ requestId }).where(inArray(captures.id, [...captureIds])).returning({ id: captures.id }))
      : null;
    const anything = changed || newEvents > 0 || eventsChanged || newAttachments > 0 || attachmentsChanged;
    await (linked ? tx.with(linked) : tx)
      .update(requests)
      .set({
        ...(existing && changed ? { ...fields, removedAt: null, removalReason: null } : {}),
        ...(newEvents > 0 || eventsChanged || !existing ? { bodyText: visibleEventText(requestId) } : {}),
        lastCheckedAt: sql`now()`,
        ...(anything ? { lastChangedAt: sql`now()` } : {}),
      })
      .where(eq(requests.id, requestId));

    return { requestId, created: !existing, changed: anything, newEvents, newAttachments, statusChanged, renamed };
  }).catch((error: unknown) => {
    // An attachment naming a blob without a row is refused by its foreign key; the whole thread is rolled back.
    throw asBlobMissing(error);
  });
}

/**
 * Runs writes that do not read each other's rows as the parts of one statement: a thread's new events, attachments,
 * extraction jobs and history cost one round trip instead of up to five. Postgres runs every data-modifying part of a
 * WITH once, whether or not anything reads it, and all of them see the rows as they were before the statement.
 */
async function writeTogether(tx: Tx, writes: SQL[]): Promise<void> {
  if (writes.length <= 1) {
    if (writes[0]) await tx.execute(writes[0]);
    return;
  }
  const parts = sql.join(
    writes.map((write, index) => sql`${sql.raw(`write_${index}`)} as (${write})`),
    sql`, `,
  );
  await tx.execute(sql`with ${parts} select 1`);
}

/** The request's visible event texts in time order, for its search column. */
function visibleEventText(requestId: number) {
  return sql<string>`coalesce((
    select string_agg(e.text, E'\n\n' order by e.time nulls last, e.id)
    from events e where e.request_id = ${requestId} and not e.hidden and e.text is not null
  ), '')`;
}
