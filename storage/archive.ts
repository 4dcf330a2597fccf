import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { eq, sql } from 'drizzle-orm';
import { fileTypeFromBuffer } from 'file-type';
import { FileBlobStore } from './blobs/files.js';
import { S3BlobStore } from './blobs/s3.js';
import type { BlobInput } from './blobs/stream.js';
import type { BlobStore } from './blobs/types.js';
import { createPglite, pgliteHandle, postgresHandle, rowsOf, type Db, type DbHandle } from './db/connect.js';
import { blobs, captures, requests, requestHistory, sites, attachments } from './db/schema.js';
import { lockArchiveDir } from './lock.js';
import { purge, verify } from './maintenance.js';
import { getAttachment, getRequest } from './queries/reads.js';
import { exportRows, search } from './queries/search.js';
import { frontierApi, jobsApi, runsApi } from './queues.js';
import { asBlobMissing, reconcileRequest } from './reconcile.js';
import type {
  ArchiveConfig,
  AttachmentDetail,
  CaptureInput,
  ExportRow,
  KeptDownload,
  LatestCapture,
  ReconcileInput,
  ReconcileOutcome,
  RequestDetail,
  SearchQuery,
  SearchResult,
  VerifyReport,
} from './types.js';

export interface OpenArchiveOptions {
  /** apply pending migrations on open (default true) */
  migrate?: boolean;
  /** use this PGlite instance (in-memory, or a clone) instead of `<archiveDir>/pg`; the caller closes it */
  pglite?: PGlite;
  /** a claimed extraction job whose worker is silent this long is handed out again (default 900) */
  jobLeaseSeconds?: number;
  /** a search counts and ranks this many matches at most; beyond, its total is a lower bound (default 10,000) */
  searchExactLimit?: number;
}

export interface Archive {
  readonly config: ArchiveConfig;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly mode: { db: 'pglite' | 'postgres'; blobs: 'files' | 's3' };
  close(): Promise<void>;
  migrate(): Promise<void>;
  ensureSite(baseUrl: string, name?: string): Promise<number>;
  putBlob(input: BlobInput, meta?: { contentType?: string; sniffedType?: string }): Promise<{ sha256: string; size: number; created: boolean }>;
  recordCapture(c: CaptureInput): Promise<number>;
  /** The newest 200 capture of `url` with a stored body, or null: for conditional GETs. */
  latestCapture(siteId: number, url: string): Promise<LatestCapture | null>;
  /** The newest attachment download of `url` this run stored, or null: a resumed run reuses it. */
  keptDownload(runId: number, url: string): Promise<KeptDownload | null>;
  getRequestState(
    siteId: number,
    remoteId: number,
  ): Promise<{ requestId: number; urlTitle: string; remoteUpdatedAt: Date | null; remoteEventIds: number[]; removedAt: Date | null } | null>;
  findRequestByUrlTitle(siteId: number, urlTitle: string): Promise<{ requestId: number; remoteId: number } | null>;
  heldAttachments(siteId: number, requestRemoteId: number): Promise<Set<string>>;
  reconcileRequest(siteId: number, input: ReconcileInput, ctx: { runId?: number; captureId?: number }): Promise<ReconcileOutcome>;
  markRemoved(siteId: number, remoteId: number, reason: string, ctx: { runId?: number; status?: number }): Promise<boolean>;
  purge(slugOrId: string, opts?: { siteId?: number }): Promise<{ requests: number; blobsDeleted: number; blobsKept: number }>;
  search(q: SearchQuery): Promise<SearchResult>;
  getRequest(slugOrId: string, opts?: { includeRemoved?: boolean; siteId?: number }): Promise<RequestDetail | null>;
  getAttachment(idOrSha: string): Promise<AttachmentDetail | null>;
  exportRows(q: SearchQuery): AsyncIterable<ExportRow>;
  verify(opts?: { onProgress?: (n: number) => void }): Promise<VerifyReport>;
  runs: ReturnType<typeof runsApi>;
  lockRuns(): Promise<(() => Promise<void>) | null>;
  frontier: ReturnType<typeof frontierApi>;
  jobs: ReturnType<typeof jobsApi>;
}

// Advisory lock key for "one crawl at a time" on a Postgres server: 'wdtk' in ASCII.
const RUN_LOCK_KEY = 0x7764746b;

async function openBlobStore(config: ArchiveConfig): Promise<BlobStore> {
  if (!config.s3) return new FileBlobStore(path.join(config.archiveDir, 'blobs'));
  const store = new S3BlobStore(config.s3);
  await store.ensureBucket(config.s3.region);
  return store;
}

export async function openArchive(config: ArchiveConfig, opts: OpenArchiveOptions = {}): Promise<Archive> {
  let releaseDir: (() => Promise<void>) | null = null;
  let handle: DbHandle;
  if (opts.pglite) handle = pgliteHandle(opts.pglite, false);
  else if (config.databaseUrl) handle = postgresHandle(config.databaseUrl);
  else {
    releaseDir = await lockArchiveDir(config.archiveDir);
    try {
      handle = pgliteHandle(await createPglite(path.join(config.archiveDir, 'pg')), true);
    } catch (error) {
      await releaseDir();
      throw error;
    }
  }
  let store: BlobStore;
  try {
    store = await openBlobStore(config);
    if (opts.migrate ?? true) await handle.migrate();
  } catch (error) {
    await handle.close();
    await releaseDir?.();
    throw error;
  }
  return createArchive(config, handle, store, releaseDir, opts);
}

function createArchive(
  config: ArchiveConfig,
  handle: DbHandle,
  store: BlobStore,
  releaseDir: (() => Promise<void>) | null,
  opts: OpenArchiveOptions,
): Archive {
  const db = handle.db;
  let runLockHeld = false;
  let closed = false;

  return {
    config,
    db,
    blobs: store,
    mode: { db: handle.kind, blobs: store.kind },

    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
      await releaseDir?.();
    },

    migrate: () => handle.migrate(),

    async ensureSite(baseUrl, name) {
      const normalized = baseUrl.replace(/\/+$/, '');
      const [row] = await db
        .insert(sites)
        .values({ baseUrl: normalized, name: name ?? null })
        .onConflictDoUpdate({ target: sites.baseUrl, set: { name: sql`coalesce(excluded.name, ${sites.name})` } })
        .returning({ id: sites.id });
      return row!.id;
    },

    async putBlob(input, meta = {}) {
      const put = await store.put(input);
      const sniffed = meta.sniffedType ?? (await fileTypeFromBuffer(put.head).catch(() => undefined))?.ext ?? null;
      const [row] = await rowsOf<{ inserted: boolean }>(
        db,
        sql`insert into blobs (sha256, size, storage_key, sniffed_type, mime)
            values (${put.sha256}, ${put.size}, ${put.storageKey}, ${sniffed}, ${meta.contentType ?? null})
            on conflict (sha256) do update set
              sniffed_type = coalesce(blobs.sniffed_type, excluded.sniffed_type), mime = coalesce(blobs.mime, excluded.mime)
            returning (xmax = 0) as inserted`,
      );
      return { sha256: put.sha256, size: put.size, created: Boolean(row?.inserted) };
    },

    async recordCapture(c) {
      // No check before the insert: the captures.sha256 foreign key refuses a capture whose blob row is missing.
      try {
        const [row] = await db
          .insert(captures)
          .values({
            siteId: c.siteId,
            runId: c.runId ?? null,
            url: c.url,
            fetchedAt: c.fetchedAt,
            status: c.status,
            method: c.method ?? 'GET',
            requestHeaders: c.requestHeaders,
            responseHeaders: c.responseHeaders,
            sha256: c.sha256,
            size: c.size,
            kind: c.kind,
          })
          .returning({ id: captures.id });
        return row!.id;
      } catch (error) {
        throw asBlobMissing(error);
      }
    },

    async latestCapture(siteId, url) {
      const [row] = await rowsOf<{ id: number; sha256: string; response_headers: Record<string, string> | string }>(
        db,
        sql`select id, sha256, response_headers from captures
            where url = ${url} and site_id = ${siteId} and status = 200 and sha256 is not null
            order by id desc limit 1`,
      );
      if (!row) return null;
      const headers = (typeof row.response_headers === 'string' ? JSON.parse(row.response_headers) : row.response_headers) as Record<string, string>;
      return {
        captureId: Number(row.id),
        sha256: row.sha256,
        contentType: headers['content-type'] ?? null,
        etag: headers['etag'] ?? null,
        lastModified: headers['last-modified'] ?? null,
      };
    },

    async keptDownload(runId, url) {
      const [row] = await rowsOf<{ id: number; sha256: string; size: number | string; fetched_at: string | Date }>(
        db,
        sql`select id, sha256, size, fetched_at from captures
            where url = ${url} and run_id = ${runId} and kind = 'attachment' and status = 200 and sha256 is not null
            order by id desc limit 1`,
      );
      if (!row) return null;
      return { captureId: Number(row.id), sha256: row.sha256, size: Number(row.size), fetchedAt: new Date(row.fetched_at) };
    },

    async getRequestState(siteId, remoteId) {
      const [row] = await db
        .select({
          requestId: requests.id,
          urlTitle: requests.urlTitle,
          remoteUpdatedAt: requests.remoteUpdatedAt,
          remoteEventIds: requests.remoteEventIds,
          removedAt: requests.removedAt,
        })
        .from(requests)
        .where(sql`${requests.siteId} = ${siteId} and ${requests.remoteId} = ${remoteId}`);
      return row ?? null;
    },

    async findRequestByUrlTitle(siteId, urlTitle) {
      const [current] = await db
        .select({ requestId: requests.id, remoteId: requests.remoteId })
        .from(requests)
        .where(sql`${requests.siteId} = ${siteId} and ${requests.urlTitle} = ${urlTitle}`);
      if (current) return current;
      const [renamed] = await db
        .select({ requestId: requests.id, remoteId: requests.remoteId })
        .from(requestHistory)
        .innerJoin(requests, eq(requests.id, requestHistory.requestId))
        .where(
          sql`${requests.siteId} = ${siteId} and ${requestHistory.change} = 'renamed' and ${requestHistory.fromValue} = ${urlTitle}`,
        )
        .orderBy(sql`${requestHistory.at} desc`)
        .limit(1);
      return renamed ?? null;
    },

    async heldAttachments(siteId, requestRemoteId) {
      const rows = await db
        .select({ incomingMessageId: attachments.incomingMessageId, part: attachments.part })
        .from(attachments)
        .innerJoin(requests, eq(requests.id, attachments.requestId))
        .where(
          sql`${requests.siteId} = ${siteId} and ${requests.remoteId} = ${requestRemoteId} and ${attachments.sha256} is not null`,
        );
      return new Set(rows.map((r) => `${r.incomingMessageId}:${r.part}`));
    },

    reconcileRequest: (siteId, input, ctx) => reconcileRequest(db, siteId, input, ctx),

    async markRemoved(siteId, remoteId, reason, ctx) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(requests)
          .set({ removedAt: sql`now()`, removalReason: reason, lastCheckedAt: sql`now()`, lastChangedAt: sql`now()` })
          .where(sql`${requests.siteId} = ${siteId} and ${requests.remoteId} = ${remoteId} and ${requests.removedAt} is null`)
          .returning({ id: requests.id });
        if (!row) return false;
        await tx.insert(requestHistory).values({
          requestId: row.id,
          runId: ctx.runId ?? null,
          change: 'removed',
          fromValue: null,
          toValue: reason,
          detail: ctx.status === undefined ? null : { status: ctx.status },
        });
        return true;
      });
    },

    purge: (slugOrId, opts) => purge(db, store, slugOrId, opts),
    search: (q) => search(db, q, opts.searchExactLimit === undefined ? {} : { exactLimit: opts.searchExactLimit }),
    getRequest: (slugOrId, opts) => getRequest(db, slugOrId, opts),
    getAttachment: (idOrSha) => getAttachment(db, idOrSha),
    exportRows: (q) => exportRows(db, q),
    verify: (opts) => verify(db, store, opts),
    runs: runsApi(db),

    async lockRuns() {
      if (!handle.pool) {
        // PGlite: the archive-dir file lock already keeps other processes out; this keeps one run per process.
        if (runLockHeld) return null;
        runLockHeld = true;
        return async () => {
          runLockHeld = false;
        };
      }
      const client = await handle.pool.connect();
      try {
        const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [RUN_LOCK_KEY]);
        if (!result.rows[0]?.locked) {
          client.release();
          return null;
        }
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        try {
          await client.query('select pg_advisory_unlock($1)', [RUN_LOCK_KEY]);
          client.release();
        } catch (error) {
          client.release(error as Error);
        }
      };
    },

    frontier: frontierApi(db),
    jobs: jobsApi(db, opts.jobLeaseSeconds ?? 900),
  };
}
