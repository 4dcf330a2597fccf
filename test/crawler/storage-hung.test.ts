import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrawl, startSchedule, type CrawlSummary } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { describeFailure, isStorageUnavailable, openArchive, type Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { databaseBehindProxy, startHangingProxy, type HangingProxy } from '../helpers/hanging-proxy.js';
import { startS3Server } from '../helpers/s3.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath } from './helpers.js';

const LIMITS = { connectMs: 1_000, idleMs: 1_000 };

describe('a crawl whose storage hangs (takes connections, answers nothing)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** The originals on a store of the test's own, reached through a proxy that can hang; the index as the suite has it. */
  async function archiveOnHangingStore(): Promise<{ test: TestArchive; proxy: HangingProxy }> {
    const s3 = await startS3Server();
    cleanups.push(() => s3.stop());
    const config = s3.config(`wdtk-hung-${randomBytes(4).toString('hex')}`);
    const proxy = await startHangingProxy(config.port!);
    cleanups.push(() => proxy.close());
    const test = await openTestArchive({ s3: { ...config, port: proxy.port }, timeouts: { objectStore: LIMITS } });
    // Resumed first: emptying the bucket goes through the proxy.
    cleanups.push(() => test.cleanup(), async () => proxy.resume());
    return { test, proxy };
  }

  it('stops within the limit when the object store hangs, records why, and the next crawl finishes the run', { timeout: 180_000 }, async () => {
    const sim: Simulator = await startSimulator({ requests: 40, seed: 31, maskingMs: 100 });
    cleanups.push(() => sim.close());
    const { test, proxy } = await archiveOnHangingStore();
    const crawl = () => runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 200, maskingRetryMs: 150, extract: false });

    let hungAt = 0;
    const watcher = setInterval(() => {
      if (!hungAt && sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 200).length >= 5) {
        hungAt = Date.now();
        proxy.hang();
      }
    }, 5);
    const first = await crawl().finally(() => clearInterval(watcher));
    expect(hungAt).toBeGreaterThan(0);
    // One limit for the writes in flight, one for putting their rows back: seconds, not for ever.
    expect(Date.now() - hungAt).toBeLessThan(15_000);
    expect(first.outcome).toBe('interrupted');
    expect(first.error).toMatch(
      /^the archive cannot store what is fetched \(the object store did not answer within 1 s\); stopping rather than ask the site for more\. Once it can, the next crawl with the same scope resumes the run$/,
    );
    // The database still answers: the run is recorded as it ended, and its lock is free.
    expect((await test.archive.runs.list()).map((run) => [run.outcome, run.error])).toEqual([['interrupted', first.error]]);
    expect(await test.archive.runLockHeld()).toBe(false);

    proxy.resume();
    const second = await crawl();
    expect(second.error).toBeUndefined();
    expect(second).toMatchObject({ outcome: 'ok', resumed: true, runId: first.runId });
    expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(test.archive)).toEqual([]);
  });

  it('a schedule whose run met a hung object store starts the next run on a later tick', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ requests: 10, seed: 32 });
    cleanups.push(() => sim.close());
    const { test, proxy } = await archiveOnHangingStore();
    proxy.hang();
    const runs: CrawlSummary[] = [];
    let second!: () => void;
    const secondStarted = new Promise<void>((resolve) => (second = resolve));
    const schedule = startSchedule({
      cron: '* * * * * *',
      log: pino({ level: 'silent' }),
      runOnce: async () => {
        if (runs.length === 1) second();
        if (runs.length >= 1) return;
        runs.push(await runCrawl(test.archive, { site: sim.url, scope: { all: true }, ratePerSecond: 200, extract: false }));
      },
    });
    cleanups.push(() => schedule.stop());
    await secondStarted;
    await schedule.stop();
    expect(runs.map((run) => run.outcome)).toEqual(['interrupted']);
    expect(runs[0]!.error).toMatch(/the object store did not answer within 1 s/);
  });

  // The server setting only: PGlite runs in this process and cannot hang apart from it.
  it.skipIf(!process.env['DATABASE_URL'])('ends within the limits when the database hangs, gives back its lock, and the next crawl resumes the run', { timeout: 180_000 }, async () => {
    const sim = await startSimulator({ requests: 40, seed: 33, maskingMs: 100 });
    cleanups.push(() => sim.close());
    const { direct: shared, proxy, databaseUrl, archiveDir } = await databaseBehindProxy(cleanups);
    // The originals are files in the test's own directory, shared by both archives.
    const openVia = (databaseUrl: string, timeouts = {}) => openArchive({ archiveDir, databaseUrl }, { migrate: false, timeouts });
    // Statements may take ten times as long as a new connection. Once one of them has gone unanswered, the clean-up
    // statements (the row put back, the check times, the run's end, the locks given back) get the connect limit each.
    const hanging: Archive = await openVia(databaseUrl, { database: { connectMs: 1_000, statementMs: 10_000 } });
    const crawl = (archive: Archive) =>
      runCrawl(archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 40, maskingRetryMs: 150, extract: false });

    let hungAt = 0;
    const watcher = setInterval(() => {
      if (!hungAt && sim.log.length >= 20) {
        hungAt = Date.now();
        proxy.hang();
      }
    }, 5);
    const first = await crawl(hanging).then(
      (summary) => ({ summary, error: undefined }),
      (error: unknown) => ({ summary: undefined, error }),
    );
    clearInterval(watcher);
    expect(hungAt).toBeGreaterThan(0);
    // The run cannot be recorded as ended with its database silent: the crawl says why, in one line, within seconds.
    expect(first.summary).toBeUndefined();
    expect(isStorageUnavailable(first.error)).toBe(true);
    expect(describeFailure(first.error)).toMatch(/^the database (server did not complete a new connection|did not answer) within 1 s/);
    // One statement limit and a few connect limits; each clean-up statement waiting the statement limit took 32 s.
    const ended = Date.now() - hungAt;
    expect(ended).toBeGreaterThanOrEqual(9_900);
    expect(ended).toBeLessThan(20_000);
    const closing = Date.now();
    await hanging.close();
    expect(Date.now() - closing).toBeLessThan(8_000);

    // Once the server answers again it sees the crawl's connections gone, and their locks with them.
    proxy.resume();
    const locksHeld = async () =>
      ((await shared.archive.db.execute(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
      )) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    for (let waited = 0; (await locksHeld()) > 0 && waited < 10_000; waited += 100) await sleep(100);
    expect(await locksHeld()).toBe(0);

    const [started] = await shared.archive.runs.list();
    expect(started?.outcome).toBe('running');
    const second = await crawl(shared.archive);
    expect(second.error).toBeUndefined();
    expect(second).toMatchObject({ outcome: 'ok', resumed: true, runId: started!.id });
    expect(await differencesFromTruth(shared.archive, sim.groundTruth())).toEqual([]);
  });
});
