import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { BlobStore } from './blobs/types.js';
import { sha256OfStream } from './blobs/stream.js';
import { rowsOf, type Db } from './db/connect.js';
import { attachments, blobs, captures, documentPages, jobs, requestHistory, requests, sites } from './db/schema.js';
import { BlobNotFoundError, describeFailure, isStorageUnavailable, RequestNotFoundError } from './errors.js';
import { resolveOneRequest } from './queries/reads.js';
import type { VerifyOptions, VerifyProblem, VerifyReport } from './types.js';

/**
 * Erases a request: its events, attachments, history, the captures of its URLs, and every blob no
 * remaining row uses. Rows go first in one transaction, objects after, so no row ever points at a
 * deleted object.
 */
export async function purge(
  db: Db,
  store: BlobStore,
  slugOrId: string,
  opts: { siteId?: number } = {},
): Promise<{ requests: number; blobsDeleted: number; blobsKept: number }> {
  const requestId = await resolveOneRequest(db, slugOrId, opts.siteId);
  if (requestId === null) throw new RequestNotFoundError(slugOrId);

  const orphans = await db.transaction(async (tx) => {
    const [request] = await tx
      .select({ urlTitle: requests.urlTitle, remoteId: requests.remoteId, baseUrl: sites.baseUrl, siteId: requests.siteId })
      .from(requests)
      .innerJoin(sites, eq(sites.id, requests.siteId))
      .where(eq(requests.id, requestId))
      .for('update');
    if (!request) throw new RequestNotFoundError(slugOrId);
    const oldTitles = await tx
      .select({ title: requestHistory.fromValue })
      .from(requestHistory)
      .where(and(eq(requestHistory.requestId, requestId), eq(requestHistory.change, 'renamed')));
    const slugs = [request.urlTitle, String(request.remoteId), ...oldTitles.flatMap((t) => (t.title ? [t.title] : []))];
    const attachmentRows = await tx
      .select({ sha256: attachments.sha256, captureId: attachments.captureId, sourceUrl: attachments.sourceUrl })
      .from(attachments)
      .where(eq(attachments.requestId, requestId));
    const captureIds = attachmentRows.flatMap((a) => (a.captureId ? [a.captureId] : []));
    const sourceUrls = attachmentRows.flatMap((a) => (a.sourceUrl ? [a.sourceUrl] : []));
    // /request/<slug>, /request/<slug>.json, /request/<slug>?unfold=1, its attachment URLs...
    const urlMatches = slugs.flatMap((slug) => {
      const base = `${request.baseUrl.replace(/\/+$/, '')}/request/${slug}`;
      const pattern = base.replace(/[\\%_]/g, '\\$&');
      return [eq(captures.url, base), ...['/', '.', '?', '#'].map((next) => sql`${captures.url} like ${`${pattern}${next}%`}`)];
    });
    const deletedCaptures = await tx
      .delete(captures)
      .where(
        and(
          eq(captures.siteId, request.siteId),
          or(
            eq(captures.requestId, requestId),
            captureIds.length ? inArray(captures.id, captureIds) : sql`false`,
            sourceUrls.length ? inArray(captures.url, sourceUrls) : sql`false`,
            ...urlMatches,
          ),
        ),
      )
      .returning({ sha256: captures.sha256, pdf: captures.snapshotPdfSha256, png: captures.snapshotPngSha256 });
    await tx.delete(requests).where(eq(requests.id, requestId));

    const candidates = new Set<string>();
    for (const a of attachmentRows) if (a.sha256) candidates.add(a.sha256);
    for (const c of deletedCaptures) for (const sha of [c.sha256, c.pdf, c.png]) if (sha) candidates.add(sha);
    if (!candidates.size) return { deleted: [] as string[], kept: 0 };
    const stillUsed = await rowsOf<{ sha256: string }>(
      tx as unknown as Db,
      sql`select distinct sha256 from (
            select sha256 from attachments where ${inArray(attachments.sha256, [...candidates])}
            union all select sha256 from captures where ${inArray(captures.sha256, [...candidates])}
            union all select snapshot_pdf_sha256 from captures where ${inArray(captures.snapshotPdfSha256, [...candidates])}
            union all select snapshot_png_sha256 from captures where ${inArray(captures.snapshotPngSha256, [...candidates])}
          ) used`,
    );
    const used = new Set(stillUsed.map((r) => r.sha256));
    const deleted = [...candidates].filter((sha) => !used.has(sha));
    if (deleted.length) {
      await tx.delete(documentPages).where(inArray(documentPages.sha256, deleted));
      await tx.delete(jobs).where(inArray(jobs.sha256, deleted));
      await tx.delete(blobs).where(inArray(blobs.sha256, deleted));
    }
    return { deleted, kept: candidates.size - deleted.length };
  });

  for (const sha of orphans.deleted) await store.delete(sha);
  return { requests: 1, blobsDeleted: orphans.deleted.length, blobsKept: orphans.kept };
}

// An object is written a moment before its row, and a temporary file is written to all through a put: one touched
// more recently than this may belong to a put still going on.
export const LEFTOVER_GRACE_MS = 10 * 60_000;

/**
 * Streams every stored blob back, re-hashes it, and sets verified_at on the ones that match; then lists the store for
 * objects no row names, and with `removeUnindexed` deletes those older than the grace period.
 */
export async function verify(db: Db, store: BlobStore, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, ok: 0, problems: [], unindexed: [], removed: [] };
  let after = '';
  for (;;) {
    const page = await db
      .select({ sha256: blobs.sha256 })
      .from(blobs)
      .where(gt(blobs.sha256, after))
      .orderBy(asc(blobs.sha256))
      .limit(200);
    if (!page.length) break;
    for (const { sha256 } of page) {
      const problem = await checkOriginal(store, sha256);
      report.checked++;
      if (problem) report.problems.push(problem);
      else {
        report.ok++;
        await db.update(blobs).set({ verifiedAt: sql`now()` }).where(eq(blobs.sha256, sha256));
      }
      opts.onProgress?.(report.checked);
    }
    after = page.at(-1)!.sha256;
  }
  report.unindexed = await unindexedObjects(db, store);
  if (opts.removeUnindexed) report.removed = await removeUnindexed(db, store, report.unindexed, opts.unindexedGraceMs ?? LEFTOVER_GRACE_MS);
  return report;
}

/** What is wrong with one stored original, or null when it re-hashes to its name. */
async function checkOriginal(store: BlobStore, sha256: string): Promise<VerifyProblem | null> {
  let actual: string;
  try {
    actual = (await sha256OfStream(await store.get(sha256))).sha256;
  } catch (error) {
    if (error instanceof BlobNotFoundError || (error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', sha256 };
    // A store that is down or refusing would fail every object that follows: that stops the check. Anything else
    // (a directory where the file should be, say) is this object's, and the others are still worth checking.
    if (isStorageUnavailable(error)) throw error;
    return { kind: 'unreadable', sha256, reason: describeFailure(error) };
  }
  return actual === sha256 ? null : { kind: 'changed', sha256, actual };
}

async function unindexedObjects(db: Db, store: BlobStore): Promise<string[]> {
  const unindexed: string[] = [];
  let batch: string[] = [];
  const check = async () => {
    const indexed = new Set((await db.select({ sha256: blobs.sha256 }).from(blobs).where(inArray(blobs.sha256, batch))).map((row) => row.sha256));
    unindexed.push(...batch.filter((sha) => !indexed.has(sha)));
    batch = [];
  };
  for await (const sha of store.list()) {
    batch.push(sha);
    if (batch.length === 500) await check();
  }
  if (batch.length > 0) await check();
  return unindexed;
}

/** Each one is looked up again just before it goes: a put may have indexed it since the listing. */
async function removeUnindexed(db: Db, store: BlobStore, candidates: string[], graceMs: number): Promise<string[]> {
  const removed: string[] = [];
  for (const sha256 of candidates) {
    const stat = await store.stat(sha256);
    if (!stat || Date.now() - stat.modifiedAt.getTime() < graceMs) continue;
    const [row] = await db.select({ sha256: blobs.sha256 }).from(blobs).where(eq(blobs.sha256, sha256));
    if (row) continue;
    await store.delete(sha256);
    removed.push(sha256);
  }
  return removed;
}
