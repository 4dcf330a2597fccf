import path from 'node:path';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { fileTypeFromBuffer } from 'file-type';
import type pg from 'pg';
import { FileBlobStore } from './blobs/files.js';
import type { BlobInput } from './blobs/stream.js';
import type { BlobStore } from './blobs/types.js';
import type { S3Timeouts } from './blobs/s3.js';
import { holdsDatabase, openEmbeddedDatabase, pgliteHandle, postgresHandle, rowsOf, type Db, type DbHandle, type PostgresTimeouts } from './db/connect.js';
import type { EmbeddedDatabase } from './db/embedded.js';
import { blobs, captures, requests, requestHistory, sites, attachments } from './db/schema.js';
import { LockLostError, OriginalsInUseError, StorageOpenError, type OriginalsUse } from './errors.js';
import { lockArchiveDir } from './lock.js';
import { LEFTOVER_GRACE_MS, purge, verify } from './maintenance.js';
import { attachmentCopies, getAttachment, getRequest } from './queries/reads.js';
import { exemptionTally } from './queries/exemptions.js';
import { timelinessByAuthority, timelinessTally, type TimelinessOrder, type TimelinessScope } from './queries/timeliness.js';
import { newestMatches } from './queries/newest.js';
import { exportRows, search, unknownFilters } from './queries/search.js';
import { frontierApi, JOB_LEASE_SECONDS, jobsApi, releaseAllJobClaims, runsApi, UNFINISHED_RUN_ERROR } from './queues.js';
import { asBlobMissing, reconcileRequest } from './reconcile.js';
import type {
  ArchivedMatch,
  ArchiveConfig,
  AttachmentCopies,
  AttachmentDetail,
  AuthorityTimeliness,
  CaptureInput,
  ExemptionTally,
  ExportRow,
  KeptDownload,
  LatestCapture,
  NamingFilter,
  ReconcileInput,
  ReconcileOutcome,
  RequestDetail,
  RunRow,
  SearchQuery,
  SearchResult,
  TimelinessTally,
  VerifyOptions,
  VerifyReport,
} from './types.js';

export interface OpenArchiveOptions {
  /** apply pending migrations on open (default true) */
  migrate?: boolean;
  /** use this embedded database (`openEmbeddedDatabase`: in memory, or a copy) instead of `<archiveDir>/pg`; the caller closes it */
  embedded?: EmbeddedDatabase;
  /** the embedded database's buffer cache, in MB (default DEFAULT_SHARED_BUFFERS_MB); resident for as long as it is open */
  embeddedSharedBuffersMb?: number;
  /** a claimed extraction job whose worker has not renewed it this long is handed out again (default JOB_LEASE_SECONDS) */
  jobLeaseSeconds?: number;
  /** a search counts and ranks this many matches at most; beyond, its total is a lower bound (default 10,000) */
  searchExactLimit?: number;
  /**
   * How long a database server and an object store may stay silent before what waits on them fails with
   * StorageNotAnsweringError. The embedded setting has none: PGlite and files run in this process.
   */
  timeouts?: StorageTimeouts;
}

export interface StorageTimeouts {
  database?: PostgresTimeouts;
  objectStore?: S3Timeouts;
}

export interface Archive {
  readonly config: ArchiveConfig;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly mode: { db: 'pglite' | 'postgres'; blobs: 'files' | 's3' };
  close(): Promise<void>;
  migrate(): Promise<void>;
  ensureSite(baseUrl: string, name?: string): Promise<number>;
  putBlob(input: BlobInput, meta?: BlobMeta): Promise<StoredBlob>;
  recordCapture(c: CaptureInput): Promise<number>;
  /**
   * A fetched response kept: its body stored first, then its blob row and the capture row in one
   * statement (one commit); without a body, a bodiless capture.
   */
  keepResponse(
    capture: Omit<CaptureInput, 'sha256' | 'size'>,
    body: { input: BlobInput; contentType?: string } | null,
  ): Promise<{ captureId: number; blob: StoredBlob | null }>;
  /** The newest 200 capture of `url` with a stored body, or null: for conditional GETs. */
  latestCapture(siteId: number, url: string): Promise<LatestCapture | null>;
  /** Of these attachment URLs, the ones this run already downloaded and stored (newest each): a resumed run reuses them. */
  keptDownloads(runId: number, urls: string[]): Promise<Map<string, KeptDownload>>;
  /** The stored request, with the `message:part` keys of the attachments whose content is held. */
  getRequestState(
    siteId: number,
    remoteId: number,
  ): Promise<{
    requestId: number;
    urlTitle: string;
    /** The calculated status the site showed when the thread was last stored. */
    status: string;
    remoteUpdatedAt: Date | null;
    remoteEventIds: number[];
    removedAt: Date | null;
    heldAttachments: Set<string>;
  } | null>;
  findRequestByUrlTitle(siteId: number, urlTitle: string): Promise<{ requestId: number; remoteId: number } | null>;
  heldAttachments(siteId: number, requestRemoteId: number): Promise<Set<string>>;
  /** The known requests (not removed) checked longest ago, oldest first: what a rolling re-check asks about next. */
  leastRecentlyChecked(siteId: number, limit: number): Promise<{ remoteId: number; urlTitle: string }[]>;
  /** The highest numeric id of the site's requests the archive holds, removed ones included; 0 for none. */
  highestRemoteId(siteId: number): Promise<number>;
  /** Up to `limit` numeric ids from `from` to `upTo`, ascending, of requests the archive has never held for the site. */
  unseenRemoteIds(siteId: number, from: number, upTo: number, limit: number): Promise<number[]>;
  /** Records that these requests were checked now and found unchanged (a change is recorded by its reconcile). */
  markChecked(siteId: number, remoteIds: number[]): Promise<void>;
  reconcileRequest(siteId: number, input: ReconcileInput, ctx: { runId?: number; captureId?: number }): Promise<ReconcileOutcome>;
  markRemoved(siteId: number, remoteId: number, reason: string, ctx: { runId?: number; status?: number }): Promise<boolean>;
  /** Holds the originals for removal: throws OriginalsInUseError while a crawl or a snapshot stores any. */
  purge(slugOrId: string, opts?: { siteId?: number }): Promise<{ requests: number; blobsDeleted: number; blobsKept: number }>;
  search(q: SearchQuery): Promise<SearchResult>;
  /** The `limit` matches that entered the archive last, newest first, each document once (for a feed of the search). */
  newestMatches(q: SearchQuery, limit: number): Promise<ArchivedMatch[]>;
  /** The query's authority, requester, status and type filters that name nothing the archive holds. */
  unknownFilters(q: SearchQuery): Promise<NamingFilter[]>;
  getRequest(slugOrId: string, opts?: { includeRemoved?: boolean; siteId?: number }): Promise<RequestDetail | null>;
  getAttachment(idOrSha: string): Promise<AttachmentDetail | null>;
  /**
   * The other attachments with the same content as each of these (the same document released elsewhere), earliest
   * first: by default only those the site shows and lists; `includeWithheld` adds the rest, for the operator.
   */
  attachmentCopies(attachmentIds: number[], opts?: { includeWithheld?: boolean }): Promise<Map<number, AttachmentCopies>>;
  exportRows(q: SearchQuery): AsyncIterable<ExportRow>;
  /** How many of the listed requests (of one authority, if named) cite each exemption in what the site shows. */
  exemptionTally(opts?: { authority?: string; siteId?: number }): Promise<ExemptionTally>;
  /** How promptly the listed requests (of one authority, or sent between dates, if given) were answered. */
  timelinessTally(opts?: TimelinessScope): Promise<TimelinessTally>;
  /** The same per authority, with at least `minRequests` counted; one page of them and how many there are. */
  timelinessByAuthority(
    opts?: TimelinessScope & { minRequests?: number; order?: TimelinessOrder; limit?: number; offset?: number },
  ): Promise<{ total: number; authorities: AuthorityTimeliness[] }>;
  /** With `removeUnindexed`, holds the originals for removal: throws OriginalsInUseError while a crawl or a snapshot stores any. */
  verify(opts?: VerifyOptions): Promise<VerifyReport>;
  runs: ReturnType<typeof runsApi>;
  /**
   * One crawl at a time: null while another holds it. On a server the lock lives as long as a connection of its own;
   * `onLost` hears if that connection dies first (the lock with it).
   */
  lockRuns(onLost?: LockLost): Promise<ReleaseLock | null>;
  /** Whether a crawl holds the run lock now: a run left 'running' while none does was ended by its process dying. */
  runLockHeld(): Promise<boolean>;
  /**
   * Runs newest first, as they stand: one left 'running' while no crawl holds the run lock was ended by its process
   * dying (killed outright, it could not record its end) and is given as interrupted, as the next crawl records it.
   */
  pastRuns(limit: number): Promise<RunRow[]>;
  /**
   * Writers of originals (a crawl, a snapshot) share this lock; a remover (purge, verify --remove-unindexed) holds it
   * alone. A put that finds its object stored already writes nothing and its row follows: a remover in between would
   * delete the object the row then names. Null while the other kind holds it.
   */
  lockOriginals(use: OriginalsUse, onLost?: LockLost): Promise<ReleaseLock | null>;
  frontier: ReturnType<typeof frontierApi>;
  jobs: ReturnType<typeof jobsApi>;
}

export interface BlobMeta {
  contentType?: string;
  sniffedType?: string;
}

export interface StoredBlob {
  sha256: string;
  size: number;
  created: boolean;
}

export type ReleaseLock = () => Promise<void>;
export type LockLost = (error: LockLostError) => void;

// Advisory lock keys on a Postgres server: 'wdtk' in ASCII for "one crawl at a time", the next one for the originals.
const RUN_LOCK_KEY = 0x7764746b;
const ORIGINALS_LOCK_KEY = RUN_LOCK_KEY + 1;
/** Numeric ids looked up per statement when looking for the ones the archive has never held. */
const ID_WINDOW = 10_000;

/** A session-level advisory lock on a connection of its own, held until released; null if another session holds it. */
async function tryAdvisoryLock(pool: pg.Pool, key: number, shared: boolean, onLost?: LockLost): Promise<ReleaseLock | null> {
  const kind = shared ? '_shared' : '';
  const client = await pool.connect();
  let released = false;
  // The pool stops listening to a connection it has lent: without a listener of ours, its end (a server restart) would
  // end the process. Removed when the connection goes back to the pool whole, which lends it again.
  const onError = (error: Error) => {
    if (!released) onLost?.(new LockLostError(key === RUN_LOCK_KEY ? 'run' : 'originals', error));
  };
  client.on('error', onError);
  const giveBack = () => {
    client.off('error', onError);
    client.release();
  };
  try {
    const result = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock${kind}($1) as locked`, [key]);
    if (!result.rows[0]?.locked) {
      giveBack();
      return null;
    }
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return async () => {
    if (released) return;
    released = true;
    try {
      await client.query(`select pg_advisory_unlock${kind}($1)`, [key]);
      giveBack();
    } catch (error) {
      client.release(error as Error);
    }
  };
}

async function openBlobStore(config: ArchiveConfig, timeouts: S3Timeouts = {}): Promise<BlobStore> {
  if (!config.s3) {
    const store = new FileBlobStore(path.join(config.archiveDir, 'blobs'));
    await store.removeStaleTemporaries(LEFTOVER_GRACE_MS);
    return store;
  }
  // The S3 client library is large (about 35 MiB resident); an archive on files never loads it.
  const { S3BlobStore } = await import('./blobs/s3.js');
  const s3 = config.s3;
  const store = new S3BlobStore(s3, timeouts);
  try {
    await store.ensureBucket(s3.region);
  } catch (error) {
    const endpoint = `${s3.useSSL ? 'https' : 'http'}://${s3.endPoint}${s3.port === undefined ? '' : `:${s3.port}`}`;
    throw new StorageOpenError(`the S3 bucket ${s3.bucket} at ${endpoint} (S3_ENDPOINT)`, error);
  }
  await store.removeStaleTemporaries(LEFTOVER_GRACE_MS);
  return store;
}

/** The server's URL without its password, to name it in a message. */
function describeDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return url.toString();
}

const embeddedDataDir = (archiveDir: string) => path.join(archiveDir, 'pg');

/** Whether `archiveDir` holds the database of an embedded archive; openArchive creates one where it does not. */
export function holdsEmbeddedArchive(archiveDir: string): boolean {
  return holdsDatabase(embeddedDataDir(archiveDir));
}

export async function openArchive(config: ArchiveConfig, opts: OpenArchiveOptions = {}): Promise<Archive> {
  let releaseDir: (() => Promise<void>) | null = null;
  let handle: DbHandle;
  if (opts.embedded) handle = await pgliteHandle(opts.embedded, false);
  else if (config.databaseUrl) handle = await postgresHandle(config.databaseUrl, opts.timeouts?.database);
  else {
    releaseDir = await lockArchiveDir(config.archiveDir);
    try {
      const start = opts.embeddedSharedBuffersMb === undefined ? {} : { sharedBuffersMb: opts.embeddedSharedBuffersMb };
      handle = await pgliteHandle(await openEmbeddedDatabase(embeddedDataDir(config.archiveDir), start), true);
    } catch (error) {
      await releaseDir();
      throw error;
    }
  }
  let store: BlobStore;
  try {
    store = await openBlobStore(config, opts.timeouts?.objectStore);
    if (opts.migrate ?? true) {
      // The first statement a server gets: where a wrong DATABASE_URL shows, as a bare "connect ECONNREFUSED".
      await handle.migrate().catch((error: unknown) => {
        throw config.databaseUrl && !opts.embedded ? new StorageOpenError(`the PostgreSQL database ${describeDatabaseUrl(config.databaseUrl)} (DATABASE_URL)`, error) : error;
      });
      // No other process can have this archive open: a job still claimed was claimed by one that is gone.
      if (releaseDir) await releaseAllJobClaims(handle.db);
    }
  } catch (error) {
    await handle.close();
    await releaseDir?.();
    throw error;
  }
  return createArchive(config, handle, store, releaseDir, opts);
}

function captureRow(c: CaptureInput): typeof captures.$inferInsert {
  return {
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
  };
}

function createArchive(
  config: ArchiveConfig,
  handle: DbHandle,
  store: BlobStore,
  releaseDir: (() => Promise<void>) | null,
  opts: OpenArchiveOptions,
): Archive {
  const db = handle.db;
  // PGlite: the archive-dir file lock already keeps other processes out; these do the same within this one.
  let runLockHeld = false;
  const originalsHeld = { write: 0, remove: 0 };
  let closed = false;

  const lockOriginals = async (use: OriginalsUse, onLost?: LockLost): Promise<ReleaseLock | null> => {
    if (handle.pool) return tryAdvisoryLock(handle.pool, ORIGINALS_LOCK_KEY, use === 'write', onLost);
    const busy = use === 'write' ? originalsHeld.remove > 0 : originalsHeld.write + originalsHeld.remove > 0;
    if (busy) return null;
    originalsHeld[use]++;
    let released = false;
    return async () => {
      if (!released) originalsHeld[use]--;
      released = true;
    };
  };

  /** Runs `removal` holding the originals alone. */
  const removingOriginals = async <T>(work: string, removal: () => Promise<T>): Promise<T> => {
    const release = await lockOriginals('remove');
    if (!release) throw new OriginalsInUseError(work, 'remove');
    try {
      return await removal();
    } finally {
      await release();
    }
  };

  /** Stores the content first; the returned blob row insert is run by the caller, alone or with the rows that use it. */
  const storeBlob = async (input: BlobInput, meta: BlobMeta) => {
    const put = await store.put(input);
    const sniffed = meta.sniffedType ?? (await fileTypeFromBuffer(put.head).catch(() => undefined))?.ext ?? null;
    const row = db
      .insert(blobs)
      .values({ sha256: put.sha256, size: put.size, storageKey: put.storageKey, sniffedType: sniffed, mime: meta.contentType ?? null })
      .onConflictDoUpdate({
        target: blobs.sha256,
        set: { sniffedType: sql`coalesce(${blobs.sniffedType}, excluded.sniffed_type)`, mime: sql`coalesce(${blobs.mime}, excluded.mime)` },
      })
      .returning({ created: sql<boolean>`(xmax = 0)`.as('created') });
    return { put, row };
  };

  // No check before the insert: the captures.sha256 foreign key refuses a capture whose blob row is missing.
  const recordCapture = async (c: CaptureInput): Promise<number> => {
    try {
      const [row] = await db.insert(captures).values(captureRow(c)).returning({ id: captures.id });
      return row!.id;
    } catch (error) {
      throw asBlobMissing(error);
    }
  };

  const runs = runsApi(db);
  const isRunLockHeld = async (): Promise<boolean> => {
    if (!handle.pool) return runLockHeld;
    // A one-number advisory key shows in pg_locks as its high half (classid) and low half (objid), objsubid 1.
    const [row] = await rowsOf<{ held: boolean }>(
      db,
      sql`select exists (select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 1
            and database = (select oid from pg_database where datname = current_database())
            and classid::bigint = ${Math.floor(RUN_LOCK_KEY / 2 ** 32)} and objid::bigint = ${RUN_LOCK_KEY % 2 ** 32}) as held`,
    );
    return row?.held ?? false;
  };

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
      const { put, row } = await storeBlob(input, meta);
      const [inserted] = await row;
      return { sha256: put.sha256, size: put.size, created: Boolean(inserted?.created) };
    },

    recordCapture,

    async keepResponse(capture, body) {
      if (!body) return { captureId: await recordCapture({ ...capture, sha256: null, size: null }), blob: null };
      const { put, row } = await storeBlob(body.input, body.contentType ? { contentType: body.contentType } : {});
      const blobRow = db.$with('blob_row').as(row);
      const [kept] = await db
        .with(blobRow)
        .insert(captures)
        .values(captureRow({ ...capture, sha256: put.sha256, size: put.size }))
        .returning({ id: captures.id, blobCreated: sql<boolean>`(select ${blobRow.created} from ${blobRow})` });
      return { captureId: kept!.id, blob: { sha256: put.sha256, size: put.size, created: Boolean(kept!.blobCreated) } };
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

    async keptDownloads(runId, urls) {
      if (!urls.length) return new Map();
      const rows = await db
        .selectDistinctOn([captures.url], { url: captures.url, captureId: captures.id, sha256: captures.sha256, size: captures.size, fetchedAt: captures.fetchedAt })
        .from(captures)
        .where(
          and(
            inArray(captures.url, urls),
            eq(captures.runId, runId),
            eq(captures.kind, 'attachment'),
            eq(captures.status, 200),
            sql`${captures.sha256} is not null`,
          ),
        )
        .orderBy(captures.url, desc(captures.id));
      return new Map(rows.map((r) => [r.url, { captureId: r.captureId, sha256: r.sha256!, size: Number(r.size), fetchedAt: r.fetchedAt }]));
    },

    async getRequestState(siteId, remoteId) {
      const [row] = await db
        .select({
          requestId: requests.id,
          urlTitle: requests.urlTitle,
          status: requests.status,
          remoteUpdatedAt: requests.remoteUpdatedAt,
          remoteEventIds: requests.remoteEventIds,
          removedAt: requests.removedAt,
          held: sql<string[]>`coalesce(json_agg(${attachments.incomingMessageId} || ':' || ${attachments.part}) filter (where ${attachments.id} is not null), '[]')`,
        })
        .from(requests)
        .leftJoin(attachments, and(eq(attachments.requestId, requests.id), sql`${attachments.sha256} is not null`))
        .where(sql`${requests.siteId} = ${siteId} and ${requests.remoteId} = ${remoteId}`)
        .groupBy(requests.id);
      if (!row) return null;
      const { held, ...state } = row;
      return { ...state, heldAttachments: new Set(held) };
    },

    async findRequestByUrlTitle(siteId, urlTitle) {
      const [current] = await db
        .select({ requestId: requests.id, remoteId: requests.remoteId })
        .from(requests)
        .where(sql`${requests.siteId} = ${siteId} and ${requests.urlTitle} = ${urlTitle}`)
        .orderBy(sql`${requests.removedAt} is not null`, desc(requests.remoteId))
        .limit(1);
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

    async leastRecentlyChecked(siteId, limit) {
      return db
        .select({ remoteId: requests.remoteId, urlTitle: requests.urlTitle })
        .from(requests)
        .where(sql`${requests.siteId} = ${siteId} and ${requests.removedAt} is null`)
        .orderBy(requests.lastCheckedAt, requests.id)
        .limit(limit);
    },

    async highestRemoteId(siteId) {
      const [row] = await db.select({ highest: sql<number | null>`max(${requests.remoteId})` }).from(requests).where(eq(requests.siteId, siteId));
      return Number(row?.highest ?? 0);
    },

    async unseenRemoteIds(siteId, from, upTo, limit) {
      // A window of ids at a time, each id looked up in the (site_id, remote_id) index: as many probes as the ids
      // spanned, however many requests the archive holds. One series up to `upTo` would be sorted whole first, which
      // for an id of two billion never ends.
      const unseen: number[] = [];
      for (let start = from; start <= upTo && unseen.length < limit; start += ID_WINDOW) {
        const rows = await rowsOf<{ id: number }>(
          db,
          sql`select g.id from generate_series(${start}::int, ${Math.min(upTo, start + ID_WINDOW - 1)}::int) as g(id)
              where not exists (select 1 from ${requests} r where r.site_id = ${siteId} and r.remote_id = g.id)
              order by g.id limit ${limit - unseen.length}`,
        );
        unseen.push(...rows.map((row) => Number(row.id)));
      }
      return unseen;
    },

    async markChecked(siteId, remoteIds) {
      if (remoteIds.length === 0) return;
      await db
        .update(requests)
        .set({ lastCheckedAt: sql`now()` })
        .where(and(eq(requests.siteId, siteId), inArray(requests.remoteId, remoteIds)));
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

    purge: (slugOrId, opts) => removingOriginals(`purging ${slugOrId}`, () => purge(db, store, slugOrId, opts)),
    search: (q) => search(db, q, opts.searchExactLimit === undefined ? {} : { exactLimit: opts.searchExactLimit }),
    newestMatches: (q, limit) => newestMatches(db, q, limit),
    unknownFilters: (q) => unknownFilters(db, q),
    getRequest: (slugOrId, opts) => getRequest(db, slugOrId, opts),
    getAttachment: (idOrSha) => getAttachment(db, idOrSha),
    attachmentCopies: (attachmentIds, opts) => attachmentCopies(db, attachmentIds, opts),
    exportRows: (q) => exportRows(db, q),
    exemptionTally: (tallyOpts) => exemptionTally(db, tallyOpts),
    timelinessTally: (tallyOpts) => timelinessTally(db, tallyOpts),
    timelinessByAuthority: (tallyOpts) => timelinessByAuthority(db, tallyOpts),
    async verify(opts = {}) {
      if (!opts.removeUnindexed) return verify(db, store, opts);
      // A crawl stores objects a moment before their rows; none may be stored while unindexed ones are deleted.
      return removingOriginals('removing unindexed originals', () => verify(db, store, opts));
    },
    runs,

    async lockRuns(onLost) {
      if (handle.pool) return tryAdvisoryLock(handle.pool, RUN_LOCK_KEY, false, onLost);
      if (runLockHeld) return null;
      runLockHeld = true;
      return async () => {
        runLockHeld = false;
      };
    },
    async pastRuns(limit) {
      // Asked before and after the list: a crawl starting or ending in between still counts as going on.
      const heldBefore = await isRunLockHeld();
      const rows = await runs.list(limit);
      if (heldBefore || (await isRunLockHeld())) return rows;
      return rows.map((run) => (run.outcome === 'running' ? { ...run, outcome: 'interrupted' as const, error: UNFINISHED_RUN_ERROR } : run));
    },
    runLockHeld: isRunLockHeld,
    lockOriginals,

    frontier: frontierApi(db),
    jobs: jobsApi(db, opts.jobLeaseSeconds ?? JOB_LEASE_SECONDS),
  };
}
