import { hostname } from 'node:os';
import { and, desc, eq, getTableColumns, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from './db/connect.js';
import { processExists } from './lock.js';
import { blobs, documentPages, frontier, jobs, runs } from './db/schema.js';
import type { ExtractionResult, FrontierItem, FrontierRow, JobClaim, JobOverview, RunRow } from './types.js';

const INSERT_CHUNK = 500;

/** The error of a run whose process ended (killed, or the machine restarted) while it was running. */
export const UNFINISHED_RUN_ERROR = 'the process ended without finishing the run';

/** A run's scope as its crawl options spell it (`recent recheck 1000`), for a person reading the list of runs. */
export function describeRunScope(scope: Record<string, unknown>): string {
  const parts: string[] = [];
  if (scope['all']) parts.push('all');
  if (scope['recent']) parts.push('recent');
  const backfill = scope['backfill'] as { from: string; to: string } | null | undefined;
  if (backfill) parts.push(`backfill ${backfill.from}..${backfill.to}`);
  for (const key of ['bodies', 'users', 'requests'] as const) {
    const values = scope[key] as string[] | undefined;
    if (values?.length) parts.push(`${key} ${values.join(',')}`);
  }
  if (scope['ids']) parts.push('ids');
  if (scope['recheck']) parts.push(`recheck ${String(scope['recheck'])}`);
  return parts.join(' ') || '-';
}

export function runsApi(db: Db) {
  return {
    async start(scope: object): Promise<number> {
      const siteId = (scope as { siteId?: unknown }).siteId;
      const [row] = await db
        .insert(runs)
        .values({
          scope: scope as Record<string, unknown>,
          siteId: typeof siteId === 'number' ? siteId : null,
          pid: process.pid,
          host: hostname(),
        })
        .returning({ id: runs.id });
      return row!.id;
    },
    /** A run taken up again: running once more, in this process, until its next end. */
    async resume(id: number): Promise<void> {
      await db.update(runs).set({ outcome: 'running', error: null, endedAt: null, pid: process.pid, host: hostname() }).where(eq(runs.id, id));
    },
    async finish(
      id: number,
      outcome: 'ok' | 'failed' | 'interrupted' | 'stopped',
      counters: Record<string, number>,
      error?: string,
    ): Promise<void> {
      await db.update(runs).set({ outcome, counters, error: error ?? null, endedAt: sql`now()` }).where(eq(runs.id, id));
    },
    async update(id: number, counters: Record<string, number>): Promise<void> {
      await db.update(runs).set({ counters }).where(eq(runs.id, id));
    },
    /**
     * Runs that never finished ('running' after a crash, or 'interrupted'), newest first, each with whether it has
     * frontier items left to resume.
     */
    async unfinished(): Promise<(RunRow & { itemsLeft: boolean })[]> {
      return db
        .select({
          ...getTableColumns(runs),
          // Spelled out: drizzle writes a column of the one table selected from unqualified, which the subquery would take as its own.
          itemsLeft: sql<boolean>`exists (select 1 from frontier f where f.run_id = runs.id and f.status in ('pending', 'claimed'))`,
        })
        .from(runs)
        .where(inArray(runs.outcome, ['running', 'interrupted']))
        .orderBy(desc(runs.id));
    },
    async list(limit = 20): Promise<RunRow[]> {
      return db.select().from(runs).orderBy(desc(runs.id)).limit(limit);
    },
    async lastGood(siteId?: number): Promise<RunRow | null> {
      const [row] = await db
        .select()
        .from(runs)
        .where(and(eq(runs.outcome, 'ok'), siteId === undefined ? sql`true` : eq(runs.siteId, siteId)))
        .orderBy(desc(runs.startedAt), desc(runs.id))
        .limit(1);
      return row ?? null;
    },
  };
}

/** Items claimed longer ago than this belong to a worker that died; they are handed out again. */
const FRONTIER_LEASE_SECONDS = 15 * 60;

function toFrontierRow(r: Record<string, unknown>): FrontierRow {
  return {
    id: Number(r['id']),
    runId: Number(r['run_id']),
    kind: r['kind'] as FrontierRow['kind'],
    key: String(r['key']),
    url: String(r['url']),
    payload: (r['payload'] as Record<string, unknown> | null) ?? null,
    priority: Number(r['priority']),
    status: r['status'] as FrontierRow['status'],
    attempts: Number(r['attempts']),
    notBefore: r['not_before'] ? new Date(r['not_before'] as string) : null,
    claimedAt: r['claimed_at'] ? new Date(r['claimed_at'] as string) : null,
    error: (r['error'] as string | null) ?? null,
  };
}

export function frontierApi(db: Db) {
  return {
    /** Returns how many items were new to this run (the key dedupes). */
    async add(runId: number, items: FrontierItem[]): Promise<number> {
      let added = 0;
      for (let i = 0; i < items.length; i += INSERT_CHUNK) {
        const chunk = items.slice(i, i + INSERT_CHUNK);
        const inserted = await db
          .insert(frontier)
          .values(
            chunk.map((item) => ({
              runId,
              kind: item.kind,
              key: item.key,
              url: item.url,
              payload: (item.payload as Record<string, unknown> | undefined) ?? null,
              priority: item.priority ?? 0,
              notBefore: item.notBefore ?? null,
            })),
          )
          .onConflictDoNothing({ target: [frontier.runId, frontier.key] })
          .returning({ id: frontier.id });
        added += inserted.length;
      }
      return added;
    },
    /**
     * Highest priority first, then insertion order; FOR UPDATE SKIP LOCKED so concurrent claimers never share a row.
     * With `minPriority`, rows below it stay where they are; rows in `inHand` (the caller's own, still being worked on
     * however old their claim) are never handed out again. Pending rows and rows whose lease ran out are looked up
     * apart, so each lookup follows an index in the claim order and stops at `limit` (see `frontier_ready`).
     * Rows in `finished` are marked done by the same statement: a worker's next claim closes its last row.
     */
    async claim(
      runId: number,
      limit: number,
      options: { minPriority?: number; inHand?: number[]; finished?: number[] } = {},
    ): Promise<FrontierRow[]> {
      const finished = options.finished ?? [];
      const claimable = sql`
            ${options.minPriority === undefined ? sql`` : sql`and priority >= ${options.minPriority}`}
            and ${notInArray(frontier.id, [...(options.inHand ?? []), ...finished])}
          order by priority desc nulls last, id
          limit ${limit}
          for update skip locked`;
      const rows = await rowsOf<Record<string, unknown>>(
        db,
        sql`
        with ${finished.length > 0 ? sql`finished as (update frontier set status = 'done', error = null where ${inArray(frontier.id, finished)}),` : sql``}
        ready as (
          select id, priority from frontier
          where run_id = ${runId} and status = 'pending' and (not_before is null or not_before <= now())
          ${claimable}
        ), lease_ran_out as (
          select id, priority from frontier
          where run_id = ${runId} and status = 'claimed' and claimed_at < now() - make_interval(secs => ${FRONTIER_LEASE_SECONDS})
          ${claimable}
        )
        update frontier set status = 'claimed', claimed_at = now(), attempts = attempts + 1
        where id in (
          select id from (select * from ready union all select * from lease_ran_out) candidates
          order by priority desc, id
          limit ${limit}
        )
        returning *`,
      );
      return rows.map(toFrontierRow).sort((a, b) => b.priority - a.priority || a.id - b.id);
    },
    async done(ids: number[]): Promise<void> {
      if (ids.length > 0) await db.update(frontier).set({ status: 'done', error: null }).where(inArray(frontier.id, ids));
    },
    async retryLater(id: number, notBefore: Date, note?: string): Promise<void> {
      await db
        .update(frontier)
        .set({ status: 'pending', notBefore, claimedAt: null, error: note ?? null })
        .where(eq(frontier.id, id));
    },
    async failed(id: number, error: string): Promise<void> {
      await db.update(frontier).set({ status: 'failed', error }).where(eq(frontier.id, id));
    },
    /** Closes an item the site does not want fetched (robots.txt): not a failure, nothing to try again. */
    async skipped(id: number, reason: string): Promise<void> {
      await db.update(frontier).set({ status: 'skipped', error: reason }).where(eq(frontier.id, id));
    },
    /**
     * Threads and attachments the given runs gave up on, and the ones carried into them from earlier runs that they
     * never reached (a run that ended early): what the next run should try again.
     */
    async leftOver(runIds: number[]): Promise<FrontierRow[]> {
      if (runIds.length === 0) return [];
      const rows = await rowsOf<Record<string, unknown>>(
        db,
        sql`select * from frontier
            where run_id in (${sql.join(runIds.map((id) => sql`${id}`), sql`, `)})
              and kind in ('request', 'attachment')
              and (status = 'failed' or (status in ('pending', 'claimed') and payload->>'carriedRuns' is not null))
            order by id`,
      );
      return rows.map(toFrontierRow);
    },
    /** Items not yet done or failed (pending or claimed). */
    async pending(runId: number): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(frontier)
        .where(and(eq(frontier.runId, runId), inArray(frontier.status, ['pending', 'claimed'])));
      return Number(row?.n ?? 0);
    },
    /** On resume: hand out again what the dead process had claimed. */
    async requeueClaimed(runId: number): Promise<number> {
      const rows = await db
        .update(frontier)
        .set({ status: 'pending', claimedAt: null })
        .where(and(eq(frontier.runId, runId), eq(frontier.status, 'claimed')))
        .returning({ id: frontier.id });
      return rows.length;
    },
  };
}

export const JOB_MAX_ATTEMPTS = 3;

/**
 * A claimed extraction job whose worker has not renewed it for this long is taken to be abandoned (its worker died)
 * and handed out again. Workers renew their claims every quarter of it; an extraction itself is cut at 30 s.
 */
export const JOB_LEASE_SECONDS = 120;

/**
 * Running jobs that match `abandoned`, given up on: failed for good when that was their last attempt (and their blob
 * marked so), otherwise, with `requeue`, pending again.
 */
async function releaseAbandoned(db: Db, abandoned: SQL, requeue: boolean): Promise<void> {
  await db.execute(sql`
    with given_up as (
      update jobs set status = 'failed', claimed_by = null, error = coalesce(error, 'its worker stopped during the last attempt')
      where status = 'running' and attempts >= ${JOB_MAX_ATTEMPTS} and ${abandoned}
      returning sha256
    )${requeue ? sql`, requeued as (
      update jobs set status = 'pending', claimed_by = null, claimed_at = null
      where status = 'running' and attempts < ${JOB_MAX_ATTEMPTS} and ${abandoned}
    )` : sql``}
    update blobs set extraction_status = 'failed' where sha256 in (select sha256 from given_up)`);
}

/**
 * Every extraction claim, at once, for an archive only the calling process can open (embedded): the claims it finds
 * were made by a process that is gone, and need not wait out their lease.
 */
export function releaseAllJobClaims(db: Db): Promise<void> {
  return releaseAbandoned(db, sql`true`, true);
}

/** How a worker names itself in the jobs table unless told otherwise: which machine, which process. */
export function localWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Text as Postgres takes it. A document's own bytes reach its text, metadata (a PDF title, an Outlook subject) and
 * warnings: text and jsonb refuse NUL, and jsonb also refuses a lone UTF-16 surrogate, which JSON.stringify writes
 * as an escape where text would have had it replaced on encoding.
 */
function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(/\p{Cs}/gu, '\uFFFD');
}

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableText(key), storableJson(inner)]));
  }
  return value;
}

export function jobsApi(db: Db, leaseSeconds: number) {
  const leaseRanOut = sql`claimed_at < now() - make_interval(secs => ${leaseSeconds})`;
  return {
    leaseSeconds,
    /** Queues (or re-queues) text extraction of a stored blob. */
    async enqueue(sha256: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.execute(sql`
          insert into jobs (sha256) values (${sha256})
          on conflict (sha256) do update set status = 'pending', attempts = 0, error = null, claimed_by = null, claimed_at = null
          where jobs.status in ('done', 'failed')`);
        await tx.update(blobs).set({ extractionStatus: 'pending' }).where(eq(blobs.sha256, sha256));
      });
    },
    /** FOR UPDATE SKIP LOCKED; a claim its worker has not renewed within the lease (the worker died) is handed out again. */
    async claim(workerId: string, limit = 1): Promise<JobClaim[]> {
      await releaseAbandoned(db, leaseRanOut, false);
      const rows = await rowsOf<{ id: number; sha256: string; attempts: number }>(
        db,
        sql`
        update jobs set status = 'running', claimed_by = ${workerId}, claimed_at = now(), attempts = attempts + 1
        where id in (
          select id from jobs
          where (status = 'pending' or (status = 'running' and ${leaseRanOut}))
            and attempts < ${JOB_MAX_ATTEMPTS}
          order by id
          limit ${limit}
          for update skip locked
        )
        returning id, sha256, attempts`,
      );
      return rows.map((r) => ({ id: Number(r.id), sha256: r.sha256, attempts: Number(r.attempts) })).sort((a, b) => a.id - b.id);
    },
    /** Puts a claimed job back as it was before the claim: its worker could not run it, for no fault of the document. */
    async release(id: number): Promise<void> {
      await db.execute(sql`
        update jobs set status = 'pending', attempts = greatest(attempts - 1, 0), claimed_by = null, claimed_at = null
        where id = ${id} and status = 'running'`);
    },
    /**
     * Claims of workers on this machine whose process is gone (a killed crawl or `work`), released now rather than
     * when their lease runs out. A pid some other program has taken since keeps its claim until then, which is only
     * slower.
     */
    async releaseDeadLocalClaims(): Promise<void> {
      const host = `${hostname()}:`;
      const holders = await rowsOf<{ claimed_by: string }>(db, sql`select distinct claimed_by from jobs where status = 'running' and starts_with(claimed_by, ${host})`);
      const dead = holders
        .map((row) => row.claimed_by)
        .filter((holder) => {
          const pid = Number(holder.slice(host.length));
          return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processExists(pid);
        });
      if (dead.length > 0) await releaseAbandoned(db, inArray(jobs.claimedBy, dead), true);
    },
    /** Keeps a worker's claims from running out while it is still extracting them. */
    async renew(workerId: string, ids: number[]): Promise<void> {
      if (ids.length === 0) return;
      await db.update(jobs).set({ claimedAt: sql`now()` }).where(and(inArray(jobs.id, ids), eq(jobs.claimedBy, workerId), eq(jobs.status, 'running')));
    },
    async complete(id: number, result: ExtractionResult): Promise<void> {
      await db.transaction(async (tx) => {
        const [job] = await tx.select({ sha256: jobs.sha256 }).from(jobs).where(eq(jobs.id, id));
        if (!job) return;
        await tx.delete(documentPages).where(eq(documentPages.sha256, job.sha256));
        const pages = result.pages.map((p) => ({ sha256: job.sha256, page: p.number, text: storableText(p.text) }));
        for (let i = 0; i < pages.length; i += INSERT_CHUNK) {
          await tx.insert(documentPages).values(pages.slice(i, i + INSERT_CHUNK)).onConflictDoNothing();
        }
        await tx
          .update(blobs)
          .set({
            sniffedType: storableText(result.type),
            ...(result.mime ? { mime: storableText(result.mime) } : {}),
            pageCount: result.pageCount,
            needsOcr: result.needsOcr,
            metadata: storableJson(result.metadata) as Record<string, unknown>,
            warnings: result.warnings.map(storableText),
            extractionStatus: 'done',
            extractedAt: sql`now()`,
          })
          .where(eq(blobs.sha256, job.sha256));
        await tx.update(jobs).set({ status: 'done', error: null, finishedAt: sql`now()` }).where(eq(jobs.id, id));
      });
    },
    /**
     * Records a failed attempt: 'pending' when the job goes back to the queue for another, 'failed' for good after
     * JOB_MAX_ATTEMPTS or with `retry: false`.
     */
    async fail(id: number, error: string, { retry = true }: { retry?: boolean } = {}): Promise<'pending' | 'failed'> {
      return db.transaction(async (tx) => {
        const [job] = await tx
          .update(jobs)
          .set({
            status: retry ? sql`case when ${jobs.attempts} >= ${JOB_MAX_ATTEMPTS} then 'failed' else 'pending' end` : 'failed',
            error: storableText(error),
            claimedBy: null,
            claimedAt: null,
            finishedAt: sql`now()`,
          })
          .where(eq(jobs.id, id))
          .returning({ sha256: jobs.sha256, status: jobs.status });
        if (job?.status === 'failed') await tx.update(blobs).set({ extractionStatus: 'failed' }).where(eq(blobs.sha256, job.sha256));
        return job?.status === 'pending' ? 'pending' : 'failed';
      });
    },
    /**
     * The queue at a glance: how many jobs are in each state, and the failed ones, newest failure first, each with a
     * name it is archived under (the first attachment holding it) so an operator can find the document.
     */
    async overview(failedLimit: number): Promise<JobOverview> {
      const counted = await db.select({ status: jobs.status, count: sql<number>`count(*)::int` }).from(jobs).groupBy(jobs.status);
      const counts = { pending: 0, running: 0, done: 0, failed: 0 };
      for (const row of counted) counts[row.status] = row.count;
      const failed = await rowsOf<{ sha256: string; attempts: number; error: string | null; finished_at: Date | string | null; filename: string | null; url_title: string | null }>(
        db,
        sql`select j.sha256, j.attempts, j.error, j.finished_at, held.filename, held.url_title
            from jobs j
            left join lateral (
              select a.filename, r.url_title from attachments a join requests r on r.id = a.request_id
              where a.sha256 = j.sha256 order by a.id limit 1
            ) held on true
            where j.status = 'failed'
            order by j.finished_at desc nulls last, j.id desc
            limit ${failedLimit}`,
      );
      return {
        counts,
        failed: failed.map((row) => ({
          sha256: row.sha256,
          attempts: row.attempts,
          error: row.error,
          // a Date from PGlite, a string from node-postgres
          finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
          filename: row.filename,
          urlTitle: row.url_title,
        })),
      };
    },
    /**
     * Puts every failed job back in the queue with its attempts cleared: after the extractor was upgraded or OCR
     * installed, or after failures that were not the documents' (a worker that could not start). Returns how many.
     */
    async retryFailed(): Promise<number> {
      return db.transaction(async (tx) => {
        const requeued = await tx
          .update(jobs)
          .set({ status: 'pending', attempts: 0, error: null, finishedAt: null })
          .where(eq(jobs.status, 'failed'))
          .returning({ sha256: jobs.sha256 });
        if (requeued.length) {
          await tx
            .update(blobs)
            .set({ extractionStatus: 'pending' })
            .where(inArray(blobs.sha256, requeued.map((job) => job.sha256)));
        }
        return requeued.length;
      });
    },
    async pending(): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(jobs)
        .where(inArray(jobs.status, ['pending', 'running']));
      return Number(row?.n ?? 0);
    },
  };
}
