import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrawl, type CrawlSummary } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { differencesFromTruth, integrityProblems, isThreadPagePath, requestGaps } from './helpers.js';

// Several frontier rows in hand at once overlap storing with fetching; the site must not be able to tell.
const RATE = 100;

describe('a crawl with several workers', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const start = async (options: { requests: number; seed: number; maskingMs?: number }): Promise<{ sim: Simulator; test: TestArchive }> => {
    const sim = await startSimulator(options);
    const test = await openTestArchive();
    cleanups.push(() => sim.close(), () => test.cleanup());
    return { sim, test };
  };

  it('sends the site exactly the requests one worker sends, one at a time at the rate, and archives the same', { timeout: 240_000 }, async () => {
    const crawlWith = async (workers: number) => {
      // The retry comes after the masking is over, so every masked attachment is asked for exactly twice, whatever the timing.
      const { sim, test } = await start({ requests: 60, seed: 11, maskingMs: 150 });
      const summary = await runCrawl(test.archive, {
        site: sim.url,
        scope: { all: true, ids: true },
        ratePerSecond: RATE,
        maskingRetryMs: 300,
        extract: false,
        workers,
      });
      expect(summary.outcome).toBe('ok');
      expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
      expect(await integrityProblems(test.archive)).toEqual([]);
      expect(Math.max(...sim.log.map((entry) => entry.concurrent))).toBe(1);
      expect(Math.min(...requestGaps(sim.log))).toBeGreaterThanOrEqual(1000 / RATE - 1);
      return { requests: sim.log.map((entry) => `${entry.status} ${entry.path}`).sort(), counters: summary.counters };
    };
    const one = await crawlWith(1);
    const three = await crawlWith(3);
    expect(three.requests).toEqual(one.requests);
    const { requests, json, pages, listings, attachments, newRequests, maskingRequeued, errors } = one.counters;
    expect(three.counters).toMatchObject({ requests, json, pages, listings, attachments, newRequests, maskingRequeued, errors });
    expect(errors).toBe(0);
  });

  it('stops at a challenge met mid-crawl with no further request, and the next crawl finishes the archive', { timeout: 180_000 }, async () => {
    const { sim, test } = await start({ requests: 30, seed: 2, maskingMs: 150 });
    const crawl = (): Promise<CrawlSummary> =>
      runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 50, maskingRetryMs: 300, extract: false, workers: 3 });
    const first = crawl();
    while (sim.log.filter((entry) => isThreadPagePath(entry.path)).length < 5) await sleep(5);
    sim.setFaults({ challenge: true });
    const stopped = await first;
    expect(stopped.outcome).toBe('stopped');
    const challenged = sim.log.findIndex((entry) => entry.fault === 'challenge');
    expect(challenged).toBeGreaterThan(0);
    expect(sim.log.slice(challenged + 1)).toEqual([]);

    sim.setFaults(undefined);
    expect((await crawl()).outcome).toBe('ok');
    expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(test.archive)).toEqual([]);
  });
});
