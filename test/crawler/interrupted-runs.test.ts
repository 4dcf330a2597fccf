import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl, type CrawlOptions } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import type { RunRow } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

describe('runs stopped by a signal and taken up again', () => {
  let sim: Simulator;
  let test: TestArchive;
  beforeAll(async () => {
    sim = await startSimulator({ requests: 40, seed: 21 });
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  const authorities = () => [...new Set(sim.groundTruth().requests.filter((r) => r.prominence === 'normal').map((r) => r.authority.urlName))];

  /** A crawl stopped as a signal would stop it, once the site has answered `requests` more requests. */
  const interruptedCrawl = async (scope: CrawlOptions['scope'], requests: number) => {
    const controller = new AbortController();
    const stopAt = sim.log.length + requests;
    const watch = setInterval(() => sim.log.length >= stopAt && controller.abort(), 5);
    try {
      return await runCrawl(test.archive, { site: sim.url, scope, ratePerSecond: 50, extract: false, signal: controller.signal });
    } finally {
      clearInterval(watch);
    }
  };

  it('a signal stops the threads in hand too: nothing more is asked of the site once the request under way ends', { timeout: 60_000 }, async () => {
    test = await openTestArchive();
    const controller = new AbortController();
    let askedAtAbort = 0;
    // At 10 requests a second the two rows in hand would go on for seconds with their attachments.
    const watch = setInterval(() => {
      if (sim.log.length >= 6 && !controller.signal.aborted) {
        askedAtAbort = sim.log.length;
        controller.abort();
      }
    }, 2);
    const summary = await runCrawl(test.archive, { site: sim.url, scope: { bodies: authorities().slice(0, 2) }, ratePerSecond: 10, workers: 2, extract: false, signal: controller.signal }).finally(() =>
      clearInterval(watch),
    );
    expect(summary.outcome).toBe('interrupted');
    expect(sim.log.length - askedAtAbort).toBeLessThanOrEqual(1);
    await test.cleanup();
  });

  it('a resumed run reads running again, in this process, until it ends', { timeout: 60_000 }, async () => {
    test = await openTestArchive();
    const scope = { bodies: authorities().slice(0, 2) };
    const first = await interruptedCrawl(scope, 4);
    expect(first.outcome).toBe('interrupted');

    const seen: RunRow[] = [];
    const askedBefore = sim.log.length;
    const watch = setInterval(() => {
      if (sim.log.length > askedBefore + 2 && seen.length === 0) void test.archive.runs.list(1).then((rows) => seen.push(...rows));
    }, 5);
    const resumed = await runCrawl(test.archive, { site: sim.url, scope, ratePerSecond: 50, extract: false }).finally(() => clearInterval(watch));
    expect(resumed).toMatchObject({ runId: first.runId, resumed: true, outcome: 'ok' });
    expect(seen[0]).toMatchObject({ id: first.runId, outcome: 'running', endedAt: null, error: null, pid: process.pid });
    const [ended] = await test.archive.runs.list(1);
    expect(ended).toMatchObject({ id: first.runId, outcome: 'ok', error: null });
    expect(ended!.endedAt!.getTime()).toBeGreaterThan(first.endedAt.getTime());
  });

  it('the next crawl of a scope resumes its run whatever ran after it, and whatever the order of its names', { timeout: 60_000 }, async () => {
    await test.cleanup();
    test = await openTestArchive();
    const [a, b, c] = authorities();
    const older = await interruptedCrawl({ bodies: [a!, b!] }, 4);
    const newer = await interruptedCrawl({ bodies: [c!] }, 2);
    expect([older.outcome, newer.outcome]).toEqual(['interrupted', 'interrupted']);
    expect(newer.runId).toBeGreaterThan(older.runId);

    const again = await runCrawl(test.archive, { site: sim.url, scope: { bodies: [b!, a!] }, ratePerSecond: 50, extract: false });
    expect(again).toMatchObject({ runId: older.runId, resumed: true, outcome: 'ok' });
    const last = await runCrawl(test.archive, { site: sim.url, scope: { bodies: [c!] }, ratePerSecond: 50, extract: false });
    expect(last).toMatchObject({ runId: newer.runId, resumed: true, outcome: 'ok' });
    expect((await test.archive.runs.list(10)).map((run) => [run.id, run.outcome])).toEqual([
      [newer.runId, 'ok'],
      [older.runId, 'ok'],
    ]);
  });
});
