import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DEFAULT_CRAWL_WORKERS, runCrawl, runExtractionWorker } from '../../crawler/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { describeFailure } from '../../storage/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath } from './helpers.js';

describe('a crawl whose archive stops taking writes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('stops asking the site at the first failed write, and the next crawl finishes the run', { timeout: 180_000 }, async () => {
    const sim: Simulator = await startSimulator({ requests: 40, seed: 21, maskingMs: 100 });
    const s3: S3TestServer = await startS3Server();
    // The index as this run of the suite has it (PGlite or a server); the originals on an object store of the test's own.
    const test: TestArchive = await openTestArchive({ s3: s3.config(`wdtk-down-${randomBytes(4).toString('hex')}`) });
    cleanups.push(() => sim.close(), () => s3.stop(), () => test.cleanup(), () => s3.resume());
    const crawl = () => runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 200, maskingRetryMs: 150, extract: false });

    let logAtOutage = -1;
    const watcher = setInterval(() => {
      if (logAtOutage < 0 && sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 200).length >= 5) {
        logAtOutage = sim.log.length;
        void s3.pause();
      }
    }, 5);
    const first = await crawl().finally(() => clearInterval(watcher));
    expect(logAtOutage).toBeGreaterThan(0);
    expect(first.outcome).toBe('interrupted');
    expect(first.error).toMatch(/^the archive cannot store what is fetched \(.+\); stopping rather than ask the site for more\. Once it can, the next crawl with the same scope resumes the run$/);
    // What the workers had in hand when the store went away, and nothing after: the rest of the site was left alone.
    const askedAfter = sim.log.length - logAtOutage;
    expect(askedAfter).toBeLessThanOrEqual(2 * DEFAULT_CRAWL_WORKERS);
    const truth = sim.groundTruth();
    const threads = truth.requests.length;
    expect(sim.log.filter((entry) => entry.path.endsWith('.json')).length).toBeLessThan(threads / 2);
    expect((await test.archive.runs.list()).map((run) => [run.outcome, run.error])).toEqual([['interrupted', first.error]]);

    await s3.resume();
    const second = await crawl();
    expect(second.error).toBeUndefined();
    expect(second).toMatchObject({ outcome: 'ok', resumed: true, runId: first.runId });
    expect(await differencesFromTruth(test.archive, truth)).toEqual([]);
    expect(await integrityProblems(test.archive)).toEqual([]);
  });

  it('stops extracting rather than fail every document, and gives back the attempt', { timeout: 120_000 }, async () => {
    const s3 = await startS3Server();
    const test = await openTestArchive({ s3: s3.config(`wdtk-down-${randomBytes(4).toString('hex')}`) });
    cleanups.push(() => s3.stop(), () => test.cleanup(), () => s3.resume());
    for (let i = 0; i < 3; i++) {
      const blob = await test.archive.putBlob(Buffer.from(`Document ${i}: no information held.\n`), { contentType: 'text/plain' });
      await test.archive.jobs.enqueue(blob.sha256);
    }
    const jobs = () => rowsOf<{ status: string; attempts: number }>(test.archive.db, sql`select status, attempts from jobs order by id`);

    await s3.pause();
    const stopped = await runExtractionWorker(test.archive, { concurrency: 2 });
    expect(stopped).toEqual({ completed: 0, failed: 0, requeued: 0, stopped: expect.stringMatching(/^the archive cannot take extracted text \(.+\); the documents left wait in the queue/) });
    expect(await jobs()).toEqual(Array.from({ length: 3 }, () => ({ status: 'pending', attempts: 0 })));

    await s3.resume();
    expect(await runExtractionWorker(test.archive, { concurrency: 2 })).toEqual({ completed: 3, failed: 0, requeued: 0 });
    expect(await jobs()).toEqual(Array.from({ length: 3 }, () => ({ status: 'done', attempts: 1 })));
  });

  it('a run that cannot be recorded as ended stops its text extraction before it fails, so none goes on after', { timeout: 120_000 }, async () => {
    const sim = await startSimulator({ requests: 40, seed: 23 });
    const test = await openTestArchive();
    const db = test.archive.db;
    // As a database that refuses the run's last write would (its disk full, say), while the crawl's other writes went in.
    await db.execute(sql.raw(`create function refuse_run_end() returns trigger language plpgsql as $$ begin raise exception 'no room to record the end of the run'; end $$`));
    await db.execute(sql.raw('create trigger refuse_run_end before update on runs for each row when (new.ended_at is not null) execute function refuse_run_end()'));
    // The database is shared with the file's other tests.
    cleanups.push(() => sim.close(), () => test.cleanup(), () => db.execute(sql.raw('drop function refuse_run_end cascade')).then(() => undefined));

    const failure = await runCrawl(test.archive, { site: sim.url, scope: { all: true }, ratePerSecond: 200 }).then(() => null, describeFailure);
    expect(failure).toMatch(/^no room to record the end of the run \(in: update "runs"/);
    const jobs = () => rowsOf<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from jobs group by status order by status`);
    const atFailure = await jobs();
    expect(atFailure.map((row) => row.status)).not.toContain('running');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await jobs()).toEqual(atFailure);
  });

  // Embedded, the lock is the archive directory's, held by the process itself.
  it.skipIf(!process.env['DATABASE_URL'])('stops when the database connection holding its run lock ends', { timeout: 120_000 }, async () => {
    const sim = await startSimulator({ requests: 40, seed: 22, maskingMs: 100 });
    const test = await openTestArchive();
    cleanups.push(() => sim.close(), () => test.cleanup());
    const crawl = () => runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 40, maskingRetryMs: 150, extract: false });

    let terminated = -1;
    const watcher = setInterval(() => {
      if (terminated >= 0 || sim.log.length < 20) return;
      terminated = 0;
      void rowsOf<{ ended: boolean }>(
        test.archive.db,
        sql`select pg_terminate_backend(pid) as ended from pg_locks
            where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
      ).then((rows) => (terminated = rows.filter((row) => row.ended).length));
    }, 5);
    const first = await crawl().finally(() => clearInterval(watcher));
    // The run lock's connection, and the one holding the originals for writing.
    expect(terminated).toBe(2);
    expect(first.outcome).toBe('interrupted');
    expect(first.error).toMatch(/^the database connection holding the (run lock|lock on the originals) ended \(.+\): another run could start beside this one; the next crawl with the same scope resumes it$/);

    const second = await crawl();
    expect(second.error).toBeUndefined();
    expect(second).toMatchObject({ outcome: 'ok', resumed: true, runId: first.runId });
    expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
  });
});
