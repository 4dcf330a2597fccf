import { afterAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

describe('a crawl of a site that is down', () => {
  let sim: Simulator | undefined;
  let test: TestArchive | undefined;
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('stops after 10 failed attempts in a row, saying the site looks down and that the next crawl resumes', { timeout: 120_000 }, async () => {
    sim = await startSimulator({ requests: 10, seed: 3, faults: { rate: 1, kinds: ['status500'] } });
    test = await openTestArchive();

    const summary = await runCrawl(test.archive, {
      site: sim.url,
      scope: { requests: sim.groundTruth().requests.slice(0, 4).map((request) => request.urlTitle) },
      ratePerSecond: 100,
      extract: false,
      // Four threads, worked on at once, four attempts each: the failures that stop the run are not all one URL's.
      fetcher: { maxAttempts: 4, backoff: { baseMs: 1, maxMs: 5 } },
    });

    expect(summary.outcome).toBe('interrupted');
    expect(summary.error).toMatch(/^the site appears to be down: 10 attempts in a row failed .*; the next crawl with the same scope resumes it$/);
    const failed = sim.log.filter((entry) => entry.fault === 'status500');
    expect(failed).toHaveLength(10);
    expect(new Set(failed.map((entry) => entry.path)).size).toBeGreaterThan(1);
    expect(sim.log.at(-1)).toBe(failed.at(-1));
  });

  it('counts a maintenance page served with 200 in place of JSON as a failed attempt', { timeout: 120_000 }, async () => {
    await test?.cleanup();
    await sim?.close();
    sim = await startSimulator({ requests: 10, seed: 3, faults: { rate: 1, kinds: ['maintenance'] } });
    test = await openTestArchive();

    const summary = await runCrawl(test.archive, {
      site: sim.url,
      scope: { requests: sim.groundTruth().requests.slice(0, 4).map((request) => request.urlTitle) },
      ratePerSecond: 100,
      extract: false,
      fetcher: { maxAttempts: 4, backoff: { baseMs: 1, maxMs: 5 } },
    });

    expect(summary.outcome).toBe('interrupted');
    expect(summary.error).toMatch(/^the site appears to be down: 10 attempts in a row failed .*HTTP 200 with Content-Type text\/html/);
    expect(sim.log.filter((entry) => entry.fault === 'maintenance')).toHaveLength(10);
    // Nothing of the maintenance page was taken for a thread.
    expect(summary.counters.newRequests).toBe(0);
  });
});
