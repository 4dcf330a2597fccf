import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { isAttachmentPath } from './helpers.js';

const MiB = 1024 * 1024;
const LARGE_BYTES = 3 * MiB;

describe.each([
  { masked: false, when: 'served at once' },
  { masked: true, when: 'that the site masks first' },
])('an attachment over the size limit, $when', ({ masked }) => {
  let sim: Simulator;
  let test: TestArchive;
  beforeAll(async () => {
    sim = await startSimulator({ requests: 12, seed: 8, maskingMs: 100, largeAttachmentBytes: LARGE_BYTES, largeAttachmentMasked: masked });
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('is left out of its thread, which is archived and current, and later runs do not ask for it again', { timeout: 60_000 }, async () => {
    const truth = sim.groundTruth();
    const thread = truth.requests.find((r) => r.events.some((e) => e.attachments.some((a) => a.size === LARGE_BYTES)))!;
    const crawl = () =>
      runCrawl(test.archive, { site: sim.url, scope: { requests: [thread.urlTitle] }, ratePerSecond: 200, maskingRetryMs: 50, extract: false, fetcher: { maxBodyBytes: MiB } });

    const first = await crawl();
    expect(first.outcome).toBe('ok');
    expect(first.counters.attachmentsTooLarge).toBe(1);
    expect(first.counters.failedItems).toBe(0);
    // Masked, it is found too large only when it comes back, after its thread was first reconciled without it.
    const largeFetches = sim.log.filter((entry) => entry.path.includes('/large-export.bin'));
    expect(largeFetches.map((entry) => entry.status)).toEqual(masked ? [302, 200] : [200]);
    const stored = await test.archive.getRequest(thread.urlTitle);
    expect(stored?.remoteUpdatedAt).not.toBeNull();
    const publicAttachments = thread.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden));
    expect(publicAttachments.length).toBeGreaterThan(1);
    for (const expected of publicAttachments) {
      const got = stored!.attachments.find((a) => a.sha256 === expected.sha256);
      if (expected.size === LARGE_BYTES) expect(got).toBeUndefined();
      else expect(got, expected.filename).toBeDefined();
    }

    sim.clearLog();
    const second = await crawl();
    expect(second.outcome).toBe('ok');
    expect(second.counters.pages).toBe(0);
    expect(sim.log.filter((entry) => isAttachmentPath(entry.path))).toEqual([]);
  });
});
