import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseJsonText, parseRequestJson, parseRequestPage, statusLabels, type RequestJson, type RequestPage } from '../parsers/index.js';
import type { KeptDownload, ReconcileInput } from '../storage/index.js';
import { fetchAndKeep, GONE_STATUSES, UnexpectedResponseError, type RunContext } from './context.js';
import { attachmentsItem, requestItem, reviveThread, serializeThread, type AttachmentPayload, type RequestPayload } from './frontier.js';
import {
  BodyTooLargeError,
  FetchFailedError,
  MaskingPendingError,
  OffSiteUrlError,
  RetryAfterTooLongError,
  RobotsDisallowedError,
  RobotsUnavailableError,
  SiteDownError,
  type FetchedPage,
} from './http/index.js';

type ThreadAttachment = ReconcileInput['events'][number]['attachments'][number];
type AttachmentContent = NonNullable<ThreadAttachment['content']>;

/**
 * One request thread: the cheap JSON first; the page and the missing attachments only when the JSON
 * says something changed; then one reconcile (one transaction) for the whole thread.
 */
export async function syncRequest(ctx: RunContext, ref: RequestPayload): Promise<void> {
  const first = await fetchAndKeep(ctx, ctx.urls.requestJson(ref.slug ?? ref.remoteId!), 'json', { conditional: true });
  let json = first.response;
  let knownRemoteId = ref.remoteId;

  if (json.status === 404 && ref.slug !== undefined) {
    // A renamed request's old slug is a plain 404; its numeric id still redirects to the new slug.
    knownRemoteId ??= (await ctx.archive.findRequestByUrlTitle(ctx.siteId, ref.slug))?.remoteId;
    if (knownRemoteId !== undefined) json = (await fetchAndKeep(ctx, ctx.urls.requestJson(knownRemoteId), 'json', { conditional: true })).response;
  }
  if (GONE_STATUSES.has(json.status)) {
    await markGone(ctx, ref, knownRemoteId, json);
    return;
  }
  if (json.status !== 200) throw new UnexpectedResponseError(json.url, json.status);

  const text = json.text();
  const parsed = parseRequestJson(text);
  if (knownRemoteId !== undefined && parsed.id !== knownRemoteId) {
    // The known request was renamed and a newer one took its old slug: the known one is followed through its id.
    ctx.log.info({ slug: ref.slug, known: knownRemoteId, now: parsed.id }, 'slug now names another request: checking the known one by its numeric id');
    await ctx.archive.frontier.add(ctx.runId, [requestItem(ctx.urls, { remoteId: knownRemoteId })]);
  }
  await ctx.threads.run(parsed.id, () => syncParsedRequest(ctx, parsed, text));
}

/** The thread after its JSON: compared with what is stored, then the page, the attachments and one reconcile. */
async function syncParsedRequest(ctx: RunContext, parsed: RequestJson, text: string): Promise<void> {
  const state = await ctx.archive.getRequestState(ctx.siteId, parsed.id);
  if (
    state &&
    state.removedAt === null &&
    state.urlTitle === parsed.urlTitle &&
    sameUpdate(state.remoteUpdatedAt, parsed.updatedAt) &&
    sameIds(state.remoteEventIds, parsed.events.map((e) => e.id)) &&
    !statusMovedOn(state.status, parsed.displayStatus)
  ) {
    ctx.counters.unchangedRequests++;
    ctx.checkedUnchanged.push(parsed.id);
    return;
  }

  const { response: page, captureId: pageCaptureId } = await fetchAndKeep(ctx, ctx.urls.requestPage(parsed.urlTitle), 'page');
  if (GONE_STATUSES.has(page.status)) {
    await markGone(ctx, { slug: parsed.urlTitle }, parsed.id, page);
    return;
  }
  if (page.status !== 200) throw new UnexpectedResponseError(page.url, page.status);
  const thread = buildThread(parsed, parseJsonText(text) as object, parseRequestPage(page.text(), { url: page.url }));
  if (state) await keepPartNumbersOfWithheld(ctx, state.urlTitle, thread);

  const held = state?.heldAttachments ?? new Set<string>();
  const wanted = thread.events.flatMap((event) =>
    event.kind !== 'incoming' || event.hidden
      ? []
      : event.attachments.filter((a) => !a.hidden && a.sourceUrl && !held.has(`${event.messageId}:${a.part ?? a.remoteId}`)).map((attachment) => ({ event, attachment })),
  );
  const kept = await keptDownloadsOf(ctx, parsed.id, wanted.map((w) => w.attachment.sourceUrl!));
  const masked: { sourceUrl: string; incomingMessageId: number; part: number }[] = [];
  const leftOut = new Set<string>();
  let firstFailure: unknown;
  for (const { event, attachment } of wanted) {
    try {
      const content = await fetchAttachment(ctx, attachment, kept);
      if (content) attachment.content = content;
    } catch (error) {
      if (leftOutOfThread(ctx, error, attachment.sourceUrl!, leftOut)) continue;
      if (isAttachmentFailure(error)) {
        ctx.log.warn({ url: attachment.sourceUrl, err: error.message }, 'attachment could not be fetched: its thread is kept without it, and tried again');
        firstFailure ??= error;
        continue;
      }
      if (!(error instanceof MaskingPendingError)) throw error;
      masked.push({ sourceUrl: attachment.sourceUrl!, incomingMessageId: event.messageId, part: attachment.part ?? attachment.remoteId });
    }
  }

  const complete = missingAttachments(thread, held, leftOut) === 0;
  const outcome = await ctx.archive.reconcileRequest(ctx.siteId, complete ? thread : withoutUpdateTime(thread), { runId: ctx.runId, captureId: pageCaptureId });
  if (outcome.created) ctx.counters.newRequests++;
  else if (outcome.changed) ctx.counters.changedRequests++;
  else ctx.counters.unchangedRequests++;
  if (outcome.renamed) ctx.counters.renamedRequests++;

  if (masked.length) {
    const notBefore = new Date(Date.now() + ctx.maskingRetryMs).toISOString();
    const payload = { requestRemoteId: parsed.id, attachments: masked, notBefore, thread: serializeThread(thread), ...(leftOut.size ? { leftOut: [...leftOut] } : {}) };
    await ctx.archive.frontier.add(ctx.runId, [attachmentsItem(ctx.urls, payload)]);
    ctx.counters.maskingRequeued += masked.length;
    ctx.log.info({ request: parsed.urlTitle, attachments: masked.length }, 'attachments still being masked by the site: coming back to them later in the run');
  }
  if (ctx.snapshot) {
    // The thread is archived either way: a snapshot that cannot be rendered is logged, not retried.
    await ctx.snapshot(pageCaptureId).catch((error: unknown) => {
      ctx.counters.errors++;
      ctx.log.warn({ captureId: pageCaptureId, err: error instanceof Error ? error.message : String(error) }, 'page snapshot failed');
    });
  }
  // Kept without its update time, the thread is asked for again; failing here, the item is tried again in this run.
  if (firstFailure !== undefined) throw firstFailure;
}

/**
 * One attachment the site would not hand over (5xx after the retries, a redirect loop, an unexpected status): the rest
 * of its thread is no less worth keeping. What stops the run (a block, the site down, a long Retry-After) is not this.
 */
function isAttachmentFailure(error: unknown): error is Error {
  if (error instanceof RetryAfterTooLongError || error instanceof SiteDownError) return false;
  return error instanceof FetchFailedError || error instanceof UnexpectedResponseError;
}

/**
 * This run's stored downloads of `urls`, by URL, when the run can have any: a thread this process meets for the first
 * time, in a run it started itself, has none, and the lookup is skipped (one statement in twenty of a first crawl).
 */
async function keptDownloadsOf(ctx: RunContext, remoteId: number, urls: string[]): Promise<Map<string, KeptDownload>> {
  const mayHaveKept = ctx.resumed || ctx.threadsDownloading.has(remoteId);
  if (urls.length > 0) ctx.threadsDownloading.add(remoteId);
  return mayHaveKept ? ctx.archive.keptDownloads(ctx.runId, urls) : new Map();
}

/** Each further ask for a still-masked attachment waits twice as long as the one before, up to this. */
const MASKING_MAX_WAIT_MS = 60_000;
/**
 * Asks for a masked-attachments item (one per claim: it waits in the frontier until it is due) before the run leaves
 * it to the next run: a masking job that never ends must not keep a run alive. With the 2 s default they span 3 minutes.
 */
const MASKING_MAX_ASKS = 7;

export class MaskingNeverReadyError extends Error {
  override name = 'MaskingNeverReadyError';
  constructor(readonly urls: string[], asks: number) {
    super(`the site was still preparing ${urls.length} attachment(s) after ${asks} asks (${urls.join(', ')}); the next run fetches them`);
  }
}

/**
 * Attachments the site was still masking when their thread was crawled: fetch what is ready, reconcile once.
 * `claims`: how many times this frontier item has been claimed, this claim included.
 */
export async function syncMaskedAttachments(ctx: RunContext, payload: AttachmentPayload, claims: number): Promise<'done' | { retryAt: Date }> {
  const notBefore = new Date(payload.notBefore);
  if (notBefore.getTime() > Date.now()) return { retryAt: notBefore };
  return ctx.threads.run(payload.requestRemoteId, () => fetchMaskedAttachments(ctx, payload, claims));
}

async function fetchMaskedAttachments(ctx: RunContext, payload: AttachmentPayload, claims: number): Promise<'done' | { retryAt: Date }> {
  const thread = reviveThread(payload.thread);
  const held = await ctx.archive.heldAttachments(ctx.siteId, payload.requestRemoteId);
  const pending = payload.attachments.filter((p) => !held.has(`${p.incomingMessageId}:${p.part}`));
  const kept = await keptDownloadsOf(ctx, payload.requestRemoteId, pending.map((p) => p.sourceUrl));
  let arrived = 0;
  const stillMasked: string[] = [];
  const leftOut = new Set(payload.leftOut);
  for (const { incomingMessageId, part, sourceUrl } of pending) {
    const event = thread.events.find((e) => e.kind === 'incoming' && e.messageId === incomingMessageId);
    const attachment = event?.attachments.find((a) => (a.part ?? a.remoteId) === part);
    if (!attachment) continue;
    try {
      const content = await fetchAttachment(ctx, { ...attachment, sourceUrl }, kept);
      if (content) {
        attachment.content = content;
        arrived++;
      }
    } catch (error) {
      if (leftOutOfThread(ctx, error, sourceUrl, leftOut)) continue;
      if (!(error instanceof MaskingPendingError)) throw error;
      stillMasked.push(sourceUrl);
    }
  }
  const complete = missingAttachments(thread, held, leftOut) === 0;
  if (arrived || (complete && leftOut.size > (payload.leftOut?.length ?? 0))) {
    await ctx.archive.reconcileRequest(ctx.siteId, complete ? thread : withoutUpdateTime(thread), { runId: ctx.runId });
  }
  if (!stillMasked.length) return 'done';
  if (claims >= MASKING_MAX_ASKS) throw new MaskingNeverReadyError(stillMasked, claims);
  ctx.counters.maskingRequeued += stillMasked.length;
  return { retryAt: new Date(Date.now() + Math.min(MASKING_MAX_WAIT_MS, ctx.maskingRetryMs * 2 ** claims)) };
}

/**
 * The thread without its update time: until every attachment is in, the stored thread must not look
 * current, or the next run would skip it.
 */
function withoutUpdateTime(thread: ReconcileInput): ReconcileInput {
  const { remoteUpdatedAt: _pending, ...rest } = thread;
  return rest;
}

/**
 * An attachment over the fetcher's size limit, or whose link or redirect leads off the site (the fetcher asks nothing
 * of another site) or where robots.txt forbids, is left out: its thread is kept without it, and later runs do not ask
 * again until the thread changes. Returns whether `error` was one of those.
 */
function leftOutOfThread(ctx: RunContext, error: unknown, sourceUrl: string, leftOut: Set<string>): boolean {
  if (error instanceof BodyTooLargeError) {
    ctx.counters.attachmentsTooLarge++;
    ctx.log.warn({ url: sourceUrl, limitBytes: error.limitBytes }, 'attachment over the size limit: not downloaded');
  } else if (error instanceof OffSiteUrlError) {
    ctx.counters.attachmentsOffSite++;
    ctx.log.warn({ url: sourceUrl, offSite: error.url }, `attachment leads off the site, to ${error.url}: not downloaded`);
  } else if (error instanceof RobotsDisallowedError && !(error instanceof RobotsUnavailableError)) {
    ctx.counters.attachmentsDisallowed++;
    ctx.log.warn({ url: sourceUrl, disallowed: error.url }, `attachment leads to ${error.url}, which robots.txt forbids: not downloaded`);
  } else {
    return false;
  }
  leftOut.add(sourceUrl);
  return true;
}

/** Public attachments of the thread whose content is neither held nor in hand, nor left out. */
function missingAttachments(thread: ReconcileInput, held: Set<string>, leftOut: Set<string>): number {
  let missing = 0;
  for (const event of thread.events) {
    if (event.kind !== 'incoming' || event.hidden) continue;
    for (const a of event.attachments) {
      if (!a.hidden && a.sourceUrl && !a.content && !leftOut.has(a.sourceUrl) && !held.has(`${event.messageId}:${a.part ?? a.remoteId}`)) missing++;
    }
  }
  return missing;
}

/**
 * Downloads one attachment (a large one to a temp file) and stores it: blob first, then its blob row and capture row
 * in one commit. `kept` holds this run's stored downloads by URL (one lookup per thread) and gains the new
 * one. Returns undefined when the site withholds it after all (hidden since the page was rendered).
 */
async function fetchAttachment(ctx: RunContext, attachment: ThreadAttachment, kept: Map<string, KeptDownload>): Promise<AttachmentContent | undefined> {
  const reused = kept.get(attachment.sourceUrl!);
  if (reused) return reused;
  const download = await ctx.fetcher.download(attachment.sourceUrl!, path.join(ctx.tmpDir, randomUUID()), { expectAttachment: true });
  try {
    const contentType = download.headers['content-type'] ?? attachment.contentType;
    const { captureId, blob } = await ctx.archive.keepResponse(
      {
        siteId: ctx.siteId,
        runId: ctx.runId,
        url: download.url,
        fetchedAt: download.fetchedAt,
        status: download.status,
        requestHeaders: download.requestHeaders,
        responseHeaders: download.headers,
        kind: 'attachment',
      },
      download.status === 200 ? { input: download.body, ...(contentType ? { contentType } : {}) } : null,
    );
    if (blob) {
      ctx.counters.attachments++;
      ctx.counters.attachmentBytes += blob.size;
      const content = { sha256: blob.sha256, size: blob.size, captureId, fetchedAt: download.fetchedAt };
      kept.set(download.url, content);
      return content;
    }
    if (GONE_STATUSES.has(download.status)) {
      attachment.hidden = true;
      ctx.log.info({ url: download.url, status: download.status }, 'attachment withheld by the site: recorded as hidden');
      return undefined;
    }
    throw new UnexpectedResponseError(download.url, download.status);
  } finally {
    if (!Buffer.isBuffer(download.body)) await rm(download.body.path, { force: true });
  }
}

/**
 * A withheld attachment is listed without a download link, so without its part number; one that was
 * public before keeps the identity (message, part) it was archived under, and is marked hidden there.
 */
async function keepPartNumbersOfWithheld(ctx: RunContext, storedSlug: string, thread: ReconcileInput): Promise<void> {
  const unnumbered = thread.events.flatMap((e) => e.attachments.filter((a) => a.hidden && a.part === undefined));
  if (!unnumbered.length) return;
  const stored = await ctx.archive.getRequest(storedSlug, { includeRemoved: true, siteId: ctx.siteId });
  const partOf = new Map((stored?.attachments ?? []).flatMap((a) => (a.remoteId === null ? [] : [[a.remoteId, a.part] as const])));
  for (const attachment of unnumbered) {
    const part = partOf.get(attachment.remoteId);
    if (part !== undefined) attachment.part = part;
  }
}

async function markGone(ctx: RunContext, ref: RequestPayload, knownRemoteId: number | undefined, response: FetchedPage): Promise<void> {
  const remoteId =
    knownRemoteId ?? (ref.slug === undefined ? undefined : (await ctx.archive.findRequestByUrlTitle(ctx.siteId, ref.slug))?.remoteId);
  if (remoteId === undefined) {
    ctx.counters.notPublicRequests++;
    ctx.log.info({ url: response.url, status: response.status }, 'not public and not in the archive: nothing to record');
    return;
  }
  const reason = `HTTP ${response.status} for ${response.url}`;
  const removed = await ctx.threads.run(remoteId, () => ctx.archive.markRemoved(ctx.siteId, remoteId, reason, { runId: ctx.runId, status: response.status }));
  if (removed) {
    ctx.counters.removedRequests++;
    ctx.log.info({ remoteId, status: response.status }, `request ${remoteId} removed from the site: ${reason}`);
  }
}

const STATUS_OF_LABEL = new Map(Object.entries(statusLabels).map(([status, label]) => [label, status]));

/**
 * The status the JSON shows is another than the stored one. It depends on the date (facts §9.7): a request still
 * waiting turns overdue with no new event if the site has not logged one. A label of no known status says nothing.
 */
function statusMovedOn(stored: string, displayStatus: string | undefined): boolean {
  const shown = displayStatus === undefined ? undefined : STATUS_OF_LABEL.get(displayStatus);
  return shown !== undefined && shown !== stored;
}

function sameUpdate(stored: Date | null, remote: string | undefined): boolean {
  return stored !== null && remote !== undefined && stored.getTime() === Date.parse(remote);
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function toDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Maps the JSON (ids, state, times) and the page (text, attachments, hidden markers) onto one thread. */
export function buildThread(json: RequestJson, rawJson: object, page: RequestPage): ReconcileInput {
  const eventIdOf = new Map<string, number>();
  for (const event of json.events) {
    const key =
      event.incomingMessageId !== null ? `incoming:${event.incomingMessageId}`
      : event.outgoingMessageId !== null ? `outgoing:${event.outgoingMessageId}`
      : event.commentId !== null ? `comment:${event.commentId}`
      : undefined;
    if (key && !eventIdOf.has(key)) eventIdOf.set(key, event.id);
  }
  const authority = json.publicBody
    ? { remoteId: json.publicBody.id, urlName: json.publicBody.urlName, name: json.publicBody.name }
    : { urlName: page.request.authority.urlName, name: page.request.authority.name };
  const requester = json.user
    ? { remoteId: json.user.id, urlName: json.user.urlName, name: json.user.name }
    : page.request.requester?.urlName
      ? { urlName: page.request.requester.urlName, name: page.request.requester.name }
      : null;
  const remoteCreatedAt = toDate(json.createdAt);
  const remoteUpdatedAt = toDate(json.updatedAt);
  return {
    remoteId: json.id,
    urlTitle: json.urlTitle,
    title: json.title || page.request.title,
    authority,
    requester,
    ...(json.describedState !== undefined ? { describedState: json.describedState } : {}),
    status: page.request.status || json.describedState || 'unknown',
    ...(page.request.statusLabel || json.displayStatus ? { statusLabel: page.request.statusLabel || json.displayStatus! } : {}),
    prominence: json.prominence ?? page.request.prominence ?? 'normal',
    ...(remoteCreatedAt ? { remoteCreatedAt } : {}),
    ...(remoteUpdatedAt ? { remoteUpdatedAt } : {}),
    remoteEventIds: json.events.map((e) => e.id),
    raw: rawJson,
    events: page.events.map((event) => {
      const eventId = eventIdOf.get(`${event.kind}:${event.id}`);
      const time = toDate(event.time);
      return {
        kind: event.kind,
        messageId: event.id,
        ...(eventId !== undefined ? { eventId } : {}),
        ...(time ? { time } : {}),
        ...(event.author !== undefined ? { author: event.author } : {}),
        hidden: event.hidden,
        ...(event.text !== undefined ? { text: event.text } : {}),
        attachments: event.attachments.map((a) => ({
          remoteId: a.id,
          ...(a.part !== undefined ? { part: a.part } : {}),
          ...(a.filename !== undefined ? { filename: a.filename } : {}),
          ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
          ...(a.url !== undefined ? { sourceUrl: a.url } : {}),
          hidden: a.hidden || a.erased === true,
        })),
      };
    }),
  };
}
