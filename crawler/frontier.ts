import type { FrontierItem, ReconcileInput } from '../storage/index.js';
import { SiteUrls, type DateWindow } from './urls.js';

/**
 * What each kind of frontier row means. Rows live in Postgres (archive.frontier), so a killed run
 * picks up exactly where it stopped; payloads are plain JSON.
 */
export type ListingScan =
  /** `/list`, newest event first, paged back to a cutoff time. */
  | { scan: 'recent'; basePath: '/list'; page: number; cutoff: string | null }
  /** A listing (`/list` or `/body/<x>`) over a date window, split in halves while it reports 500 or more. */
  | { scan: 'window'; basePath: string; page: number; window: DateWindow }
  /** An authority's or a user's listing, paged to its end (page 20 at most). */
  | { scan: 'plain'; basePath: string; page: number };

export interface RequestPayload {
  slug?: string;
  /** With a slug: the stored request known by it, checked through its numeric id if the slug now names another. */
  remoteId?: number;
  /** Runs in a row this thread has been carried into after an earlier run gave up on it. */
  carriedRuns?: number;
}

/** Attachments of one thread the site was still masking when the thread was crawled. */
export interface AttachmentPayload {
  requestRemoteId: number;
  attachments: { sourceUrl: string; incomingMessageId: number; part: number }[];
  /** Earliest time to try again. */
  notBefore: string;
  /** The thread as last parsed, so it can be reconciled without fetching the page again. */
  thread: SerializedThread;
  /**
   * Source URLs of the thread's attachments left out (too large, or off the site): not missing, or the thread would
   * never look current.
   */
  leftOut?: string[];
}

/**
 * Run after discovery: re-check the known requests in scope that no listing showed, and, with `ids`,
 * walk the numeric ids nobody has seen yet.
 */
export interface SweepPayload {
  sweep: true;
  recheckKnown: boolean;
  ids: boolean;
  /** The id walk goes on from here, up to `idsUpTo` (both set by the sweep that queued this one). */
  idsFrom?: number;
  idsUpTo?: number;
  authorities?: string[];
  requesters?: string[];
  window?: DateWindow;
}

export type SerializedThread = Omit<ReconcileInput, 'remoteCreatedAt' | 'remoteUpdatedAt' | 'events'> & {
  remoteCreatedAt?: string;
  remoteUpdatedAt?: string;
  events: (Omit<ReconcileInput['events'][number], 'time' | 'attachments'> & {
    time?: string;
    attachments: (Omit<ReconcileInput['events'][number]['attachments'][number], 'content'> & {
      content?: { sha256: string; size: number; captureId?: number; fetchedAt: string };
    })[];
  })[];
};

/**
 * Higher runs first. Listings go first: a live listing shifts as new events arrive, so it is paged
 * through quickly; the sweep goes last, once discovery and every listed thread are done.
 */
export const PRIORITY = { csv: 50, listing: 45, attachment: 40, request: 30, sweep: 0 } as const;

export function requestItem(urls: SiteUrls, ref: RequestPayload): FrontierItem {
  if (ref.slug !== undefined) {
    const payload = ref.remoteId === undefined ? { slug: ref.slug } : { slug: ref.slug, remoteId: ref.remoteId };
    return { kind: 'request', key: `request:${ref.slug}`, url: urls.requestJson(ref.slug), payload, priority: PRIORITY.request };
  }
  const remoteId = ref.remoteId!;
  return { kind: 'request', key: `request-id:${remoteId}`, url: urls.requestJson(remoteId), payload: { remoteId }, priority: PRIORITY.request };
}

export function listingItem(urls: SiteUrls, scan: ListingScan): FrontierItem {
  const url = urls.listing(scan.basePath, { page: scan.page, ...(scan.scan === 'window' ? { window: scan.window } : {}) });
  const kind = scan.basePath.startsWith('/body/') ? 'body' : scan.basePath.startsWith('/user/') ? 'user' : 'listing';
  return { kind, key: `listing:${new URL(url).pathname}${new URL(url).search}`, url, payload: scan, priority: PRIORITY.listing };
}

export function csvItem(urls: SiteUrls): FrontierItem {
  return { kind: 'csv', key: 'csv:all-authorities', url: urls.authoritiesCsv(), payload: {}, priority: PRIORITY.csv };
}

export function sweepItem(urls: SiteUrls, sweep: SweepPayload): FrontierItem {
  const key = sweep.idsFrom === undefined ? 'sweep:known-requests' : `sweep:ids-from-${sweep.idsFrom}`;
  return { kind: 'request', key, url: urls.origin, payload: sweep, priority: PRIORITY.sweep };
}

export function attachmentsItem(urls: SiteUrls, payload: AttachmentPayload): FrontierItem {
  return {
    kind: 'attachment',
    key: `attachments:${payload.requestRemoteId}`,
    url: urls.requestJson(payload.requestRemoteId),
    payload,
    priority: PRIORITY.attachment,
    notBefore: new Date(payload.notBefore),
  };
}

export function isSweep(payload: unknown): payload is SweepPayload {
  return typeof payload === 'object' && payload !== null && (payload as { sweep?: unknown }).sweep === true;
}

export function serializeThread(input: ReconcileInput): SerializedThread {
  return JSON.parse(JSON.stringify(input)) as SerializedThread;
}

export function reviveThread(thread: SerializedThread): ReconcileInput {
  const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value));
  const { remoteCreatedAt, remoteUpdatedAt, events, ...rest } = thread;
  return {
    ...rest,
    ...(remoteCreatedAt !== undefined ? { remoteCreatedAt: new Date(remoteCreatedAt) } : {}),
    ...(remoteUpdatedAt !== undefined ? { remoteUpdatedAt: new Date(remoteUpdatedAt) } : {}),
    events: events.map(({ time, attachments, ...event }) => ({
      ...event,
      ...(time !== undefined ? { time: date(time)! } : {}),
      attachments: attachments.map(({ content, ...attachment }) => ({
        ...attachment,
        ...(content ? { content: { ...content, fetchedAt: new Date(content.fetchedAt) } } : {}),
      })),
    })),
  };
}
