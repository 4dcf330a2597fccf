import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { DEFAULT_LIMITS } from '../../parsers/index.js';
import { isAttachmentPath, siteAndArchive } from './helpers.js';

const MiB = 1024 * 1024;
const LARGE_BYTES = 3 * MiB;

describe.each([
  { masked: false, when: 'served at once' },
  { masked: true, when: 'that the site masks first' },
])('an attachment over the size limit, $when', ({ masked }) => {
  const site = siteAndArchive({ requests: 12, seed: 8, maskingMs: 100, largeAttachmentBytes: LARGE_BYTES, largeAttachmentMasked: masked });

  it('is left out of its thread, which is archived and current, and later runs do not ask for it again', { timeout: 60_000 }, async () => {
    const truth = site.sim.groundTruth();
    const thread = truth.requests.find((r) => r.events.some((e) => e.attachments.some((a) => a.size === LARGE_BYTES)))!;
    const crawl = () =>
      runCrawl(site.archive, { site: site.sim.url, scope: { requests: [thread.urlTitle] }, ratePerSecond: 200, maskingRetryMs: 50, extract: false, fetcher: { maxBodyBytes: MiB } });

    const first = await crawl();
    expect(first.outcome).toBe('ok');
    expect(first.counters.attachmentsTooLarge).toBe(1);
    expect(first.counters.failedItems).toBe(0);
    // Masked, it is found too large only when it comes back, after its thread was first reconciled without it.
    const largeFetches = site.sim.log.filter((entry) => entry.path.includes('/large-export.bin'));
    expect(largeFetches.map((entry) => entry.status)).toEqual(masked ? [302, 200] : [200]);
    const stored = await site.archive.getRequest(thread.urlTitle);
    expect(stored?.remoteUpdatedAt).not.toBeNull();
    const publicAttachments = thread.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden));
    expect(publicAttachments.length).toBeGreaterThan(1);
    for (const expected of publicAttachments) {
      const got = stored!.attachments.find((a) => a.sha256 === expected.sha256);
      if (expected.size === LARGE_BYTES) expect(got).toBeUndefined();
      else expect(got, expected.filename).toBeDefined();
    }

    site.sim.clearLog();
    const second = await crawl();
    expect(second.outcome).toBe('ok');
    expect(second.counters.pages).toBe(0);
    expect(site.sim.log.filter((entry) => isAttachmentPath(entry.path))).toEqual([]);
  });
});

describe('an attachment over the extraction limit', () => {
  const EXTRACTION_LIMIT_BYTES = DEFAULT_LIMITS.maxBytes;
  const site = siteAndArchive({ requests: 12, seed: 8, largeAttachmentBytes: EXTRACTION_LIMIT_BYTES + MiB });

  it('is stored, and its extraction fails once, for good, saying why', { timeout: 120_000 }, async () => {
    const thread = site.sim.groundTruth().requests.find((r) => r.events.some((e) => e.attachments.some((a) => a.size === EXTRACTION_LIMIT_BYTES + MiB)))!;
    const summary = await runCrawl(site.archive, { site: site.sim.url, scope: { requests: [thread.urlTitle] }, ratePerSecond: 200, maskingRetryMs: 50 });
    expect(summary.outcome).toBe('ok');
    const large = (await site.archive.getRequest(thread.urlTitle))!.attachments.find((a) => a.size === EXTRACTION_LIMIT_BYTES + MiB);
    expect(large).toBeDefined();

    const jobs = (await site.archive.db.execute(sql`select status, attempts, error from jobs where sha256 = ${large!.sha256}`)) as unknown as {
      rows: { status: string; attempts: number; error: string }[];
    };
    expect(jobs.rows).toEqual([{ status: 'failed', attempts: 1, error: expect.stringMatching(/exceeds maxBytes/) }]);
    expect(summary.extraction?.failed).toBe(1);
    expect(await site.archive.jobs.pending()).toBe(0);
  });
});
