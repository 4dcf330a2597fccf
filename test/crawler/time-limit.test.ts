import { describe, expect, it } from 'vitest';
import { formatSummary, runCrawl } from '../../crawler/index.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath, siteAndArchive } from './helpers.js';

/** `--max-time`: a nightly run kept to the site's quiet hours stops at its limit and the next run goes on from there. */
describe('a run with a time limit', () => {
  const site = siteAndArchive({ requests: 40, seed: 43, maskingMs: 100 });

  it('stops at its limit as its operator asked (not a failure), and the next run finishes the archive', { timeout: 120_000 }, async () => {
    // 10 requests a second: the whole site takes far longer than the limit. With --ids, as every request of the
    // ground truth is then found (a backpage one is in no listing).
    const limited = await runCrawl(site.archive, { site: site.sim.url, scope: { all: true, ids: true }, ratePerSecond: 10, maskingRetryMs: 150, timeLimitMs: 2000 });
    const tookMs = limited.endedAt.getTime() - limited.startedAt.getTime();
    expect(limited.outcome).toBe('interrupted');
    expect(limited.budgetSpent).toBe(true);
    expect(limited.error).toBe('time limit of 2 s reached; the next crawl with the same scope resumes it');
    // The limit counts from the call; the run's start is recorded a moment later.
    expect(tookMs).toBeGreaterThanOrEqual(1500);
    expect(tookMs).toBeLessThan(10_000);
    const askedBefore = site.sim.log.length;
    expect(askedBefore).toBeLessThan(30);
    // Text extraction in the crawl's process stops at the limit too; what it had not done waits in the queue.
    expect(limited.extraction?.interrupted).toBe('time limit of 2 s reached');
    expect(formatSummary(limited)).toMatch(/\n {2}text: {5}\d+ documents? extracted, 0 failed; time limit of 2 s reached: the documents left wait in the queue$/m);
    expect(formatSummary(limited)).toMatch(/\n {2}stopped: {2}time limit of 2 s reached; the next crawl with the same scope resumes it$/m);

    const rest = await runCrawl(site.archive, { site: site.sim.url, scope: { all: true, ids: true }, ratePerSecond: 200, maskingRetryMs: 150 });
    expect(rest).toMatchObject({ outcome: 'ok', resumed: true, budgetSpent: false });
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(site.archive)).toEqual([]);
    // What the first run stored is not asked for again; only a download answered but not yet stored when the limit
    // came can be (one per row in hand, four at most), as after a signal.
    const stored = site.sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 200).map((entry) => entry.path);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length - new Set(stored).size).toBeLessThanOrEqual(4);
  });
});
