import { describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { differencesFromTruth, siteAndArchive } from './helpers.js';

/**
 * Alaveteli frees a slug when an admin renames its request, and the next request whose title gives that slug takes it
 * (facts §0). An archived request that no listing shows (backpage) is then only reachable through its numeric id.
 */
describe('a renamed request whose old slug another request takes', () => {
  const site = siteAndArchive({ requests: 40, seed: 23, maskingMs: 150 });
  /** `--all`, and the first time also `--ids` and the unlisted request by its slug, so the archive holds the whole site. */
  const crawlAll = (first?: { requests: string[] }) =>
    runCrawl(site.archive, {
      site: site.sim.url,
      scope: { all: true, ...(first ? { ids: true, requests: first.requests } : {}) },
      ratePerSecond: 200,
      maskingRetryMs: 200,
      extract: false,
    });
  const authorities = () => [...new Set(site.sim.groundTruth().requests.map((r) => r.authority.urlName))];

  it('is followed through its numeric id when a listed request takes its slug', { timeout: 120_000 }, async () => {
    const [first, second] = authorities();
    const known = site.sim.fileRequest({ title: 'Parking permits issued in Leeds in 2025', authority: first!, prominence: 'backpage' });
    expect((await crawlAll({ requests: [known.urlTitle] })).outcome).toBe('ok');
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth())).toEqual([]);

    const renamed = site.sim.renameRequest(known.id, 'Residents parking zones: consultation responses');
    const newcomer = site.sim.fileRequest({ title: 'Parking permits issued in Leeds in 2025', authority: second! });
    expect(newcomer.urlTitle).toBe(renamed.from);
    site.sim.clearLog();

    const summary = await crawlAll();
    expect(summary.outcome).toBe('ok');
    expect(summary.counters.renamedRequests).toBe(1);
    expect(site.sim.log.some((entry) => entry.path === `/request/${known.id}.json` && entry.status === 301)).toBe(true);
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth())).toEqual([]);
    expect((await site.archive.getRequest(renamed.from))?.remoteId).toBe(newcomer.id);
    expect((await site.archive.getRequest(renamed.to))?.remoteId).toBe(known.id);
  });

  it('is followed through its numeric id when an unlisted request takes its slug', { timeout: 120_000 }, async () => {
    const [first] = authorities();
    const known = site.sim.fileRequest({ title: 'Road gritting routes for winter 2025', authority: first!, prominence: 'backpage' });
    expect((await crawlAll({ requests: [known.urlTitle] })).outcome).toBe('ok');

    const renamed = site.sim.renameRequest(known.id, 'Winter maintenance budget and contracts');
    const newcomer = site.sim.fileRequest({ title: 'Road gritting routes for winter 2025', authority: first!, prominence: 'backpage' });
    expect(newcomer.urlTitle).toBe(renamed.from);
    site.sim.clearLog();

    const summary = await crawlAll();
    expect(summary.outcome).toBe('ok');
    expect(summary.counters.newRequests).toBe(1);
    expect(summary.counters.renamedRequests).toBe(1);
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth())).toEqual([]);
    expect((await site.archive.getRequest(renamed.from))?.remoteId).toBe(newcomer.id);
    expect((await site.archive.getRequest(renamed.to))?.remoteId).toBe(known.id);
  });
});
