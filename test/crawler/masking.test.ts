import { afterAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { isAttachmentPath } from './helpers.js';

describe('attachments the site never finishes masking', () => {
  let sim: Simulator;
  let test: TestArchive;
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('are asked for with growing waits, then left to the next run: the run ends, and their threads stay due', { timeout: 120_000 }, async () => {
    // An hour of masking: within this test the site only ever answers with its "Attachment processing" redirect.
    sim = await startSimulator({ requests: 12, seed: 3, maskingMs: 3_600_000 });
    test = await openTestArchive();
    const summary = await runCrawl(test.archive, { site: sim.url, scope: { all: true }, ratePerSecond: 200, maskingRetryMs: 50, extract: false });
    expect(summary.outcome).toBe('ok');

    const attachmentPaths = (status: number) => sim.log.filter((e) => isAttachmentPath(e.path) && e.status === status).map((e) => e.path);
    const neverReady = [...new Set(attachmentPaths(302))];
    expect(neverReady.length).toBeGreaterThan(0);
    // One fetch with the thread, then seven asks.
    for (const path of neverReady) expect(attachmentPaths(302).filter((p) => p === path)).toHaveLength(8);
    const asks = sim.log.filter((e) => e.path === neverReady[0]).map((e) => e.time);
    // Never sooner than scheduled: 50 ms after the thread's fetch, then twice as long after each ask.
    const waits = asks.slice(1).map((time, i) => time - asks[i]!);
    expect(waits.map((wait, i) => wait >= 50 * 2 ** i - 5)).toEqual(waits.map(() => true));

    const threadsWithNeverReady = new Set(neverReady.map((path) => path.split('/')[2]!));
    expect(summary.counters.errors).toBe(threadsWithNeverReady.size);
    // Given up on: this run is no mark for the next --recent (test/crawler/watermark.test.ts).
    expect(summary.counters.failedItems).toBe(threadsWithNeverReady.size);
    for (const slug of threadsWithNeverReady) {
      const stored = await test.archive.getRequest(slug);
      expect(stored, slug).not.toBeNull();
      // Stored without the site's update time, so the next run fetches the thread and the missing attachments again.
      expect(stored!.remoteUpdatedAt, slug).toBeNull();
      const missing = stored!.attachments.filter((a) => a.sha256 === null && !a.hidden);
      expect(missing.length, slug).toBeGreaterThan(0);
    }
  });
});
