import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db/connect.js';
import { attachments, authorities, blobs, captures, events, jobs, requestHistory, requests, users } from './db/schema.js';
import { BlobMissingError } from './errors.js';
import type { PersonInput, ReconcileInput, ReconcileOutcome } from './types.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type HistoryRow = typeof requestHistory.$inferInsert;

const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

async function upsertAuthority(tx: Tx, siteId: number, person: PersonInput): Promise<number> {
  const [row] = await tx
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
  return row!.id;
}

async function upsertUser(tx: Tx, siteId: number, person: PersonInput): Promise<number> {
  const [row] = await tx
    .insert(users)
    .values({ siteId, remoteId: person.remoteId ?? null, urlName: person.urlName, name: person.name })
    .onConflictDoUpdate({
      target: [users.siteId, users.urlName],
      set: { name: sql`excluded.name`, remoteId: sql`coalesce(excluded.remote_id, ${users.remoteId})` },
    })
    .returning({ id: users.id });
  return row!.id;
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
    const contentShas = [
      ...new Set(input.events.flatMap((e) => e.attachments.flatMap((a) => (a.content ? [a.content.sha256] : [])))),
    ];
    if (contentShas.length) {
      const held = await tx.select({ sha256: blobs.sha256 }).from(blobs).where(inArray(blobs.sha256, contentShas));
      const heldSet = new Set(held.map((b) => b.sha256));
      const missing = contentShas.find((sha) => !heldSet.has(sha));
      if (missing) throw new BlobMissingError(missing);
    }

    const authorityId = await upsertAuthority(tx, siteId, input.authority);
    const requesterId = input.requester ? await upsertUser(tx, siteId, input.requester) : null;
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

    const [existing] = await tx
      .select()
      .from(requests)
      .where(and(eq(requests.siteId, siteId), eq(requests.remoteId, input.remoteId)))
      .for('update');

    let requestId: number;
    let changed = false;
    let statusChanged = false;
    let renamed = false;
    if (!existing) {
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
      if (changed) {
        await tx
          .update(requests)
          .set({ ...fields, removedAt: null, removalReason: null })
          .where(eq(requests.id, requestId));
      }
    }

    // Events: insert the new ones; for known ones only a hidden flag flip or late text is recorded.
    const storedEvents = await tx
      .select({ id: events.id, kind: events.kind, messageId: events.messageId, hidden: events.hidden, text: events.text })
      .from(events)
      .where(eq(events.requestId, requestId));
    const eventByKey = new Map(storedEvents.map((e) => [`${e.kind}:${e.messageId}`, e]));
    let newEvents = 0;
    let eventsChanged = false;
    for (const event of input.events) {
      const stored = eventByKey.get(`${event.kind}:${event.messageId}`);
      if (!stored) {
        await tx.insert(events).values({
          requestId,
          kind: event.kind,
          messageId: event.messageId,
          eventId: event.eventId ?? null,
          time: event.time ?? null,
          author: event.author ?? null,
          hidden: event.hidden,
          text: event.text ?? null,
        });
        newEvents++;
      } else if (stored.hidden !== event.hidden || (stored.text === null && event.text)) {
        await tx
          .update(events)
          .set({ hidden: event.hidden, text: stored.text ?? event.text ?? null })
          .where(eq(events.id, stored.id));
        eventsChanged = true;
      }
    }

    // Attachments: identity (request, incoming message, part); content is the sha256.
    const storedAttachments = await tx
      .select({
        id: attachments.id,
        incomingMessageId: attachments.incomingMessageId,
        part: attachments.part,
        sha256: attachments.sha256,
        hidden: attachments.hidden,
        removedAt: attachments.removedAt,
      })
      .from(attachments)
      .where(eq(attachments.requestId, requestId));
    const attachmentByKey = new Map(storedAttachments.map((a) => [`${a.incomingMessageId}:${a.part}`, a]));
    const seenKeys = new Set<string>();
    const newlyStoredShas = new Set<string>();
    const captureIds = new Set<number>();
    let newAttachments = 0;
    let attachmentsChanged = false;
    for (const event of input.events) {
      for (const attachment of event.attachments) {
        const part = attachment.part ?? attachment.remoteId;
        const key = `${event.messageId}:${part}`;
        seenKeys.add(key);
        const content = attachment.content;
        if (content?.captureId) captureIds.add(content.captureId);
        const contentFields = content
          ? { sha256: content.sha256, size: content.size, captureId: content.captureId ?? null, fetchedAt: content.fetchedAt }
          : {};
        const stored = attachmentByKey.get(key);
        if (!stored) {
          await tx.insert(attachments).values({
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
          newAttachments++;
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

    if (newEvents > 0 || eventsChanged || !existing) {
      await tx.execute(sql`
        update requests set body_text = coalesce((
          select string_agg(e.text, E'\n\n' order by e.time nulls last, e.id)
          from events e where e.request_id = ${requestId} and not e.hidden and e.text is not null
        ), '') where id = ${requestId}`);
    }

    if (newlyStoredShas.size) {
      const shas = [...newlyStoredShas];
      await tx.execute(sql`
        insert into ${jobs} (sha256)
        select sha256 from ${blobs}
        where ${inArray(blobs.sha256, shas)} and extraction_status is distinct from 'done'
        on conflict (sha256) do nothing`);
      await tx
        .update(blobs)
        .set({ extractionStatus: 'pending' })
        .where(and(inArray(blobs.sha256, shas), sql`${blobs.extractionStatus} is null`));
    }

    if (ctx.captureId) captureIds.add(ctx.captureId);
    if (captureIds.size) {
      await tx.update(captures).set({ requestId }).where(inArray(captures.id, [...captureIds]));
    }
    if (history.length) await tx.insert(requestHistory).values(history.map((h) => ({ ...h, requestId })));

    const anything = changed || newEvents > 0 || eventsChanged || newAttachments > 0 || attachmentsChanged;
    await tx
      .update(requests)
      .set(anything ? { lastCheckedAt: sql`now()`, lastChangedAt: sql`now()` } : { lastCheckedAt: sql`now()` })
      .where(eq(requests.id, requestId));

    return { requestId, created: !existing, changed: anything, newEvents, newAttachments, statusChanged, renamed };
  });
}
