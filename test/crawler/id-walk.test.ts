import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { differencesFromTruth, integrityProblems, siteAndArchive } from './helpers.js';

/** `--ids` walks the numeric ids the archive has never seen: that finds the requests no listing shows (backpage). */
describe('the numeric id walk', () => {
  const site = siteAndArchive({ requests: 60, seed: 41, maskingMs: 100 });
  const sweepKeys = async (runId: number) =>
    ((await site.archive.db.execute(sql`select key from frontier where run_id = ${runId} and key like 'sweep:%' order by id`)) as unknown as {
      rows: { key: string }[];
    }).rows.map((row) => row.key);

  it('queues a chunk of ids at a time, each after the last is done, and archives the whole site', { timeout: 120_000 }, async () => {
    const summary = await runCrawl(site.archive, {
      site: site.sim.url,
      scope: { all: true, ids: true },
      ratePerSecond: 200,
      maskingRetryMs: 150,
      extract: false,
      idWalkChunk: 2,
    });
    expect(summary.outcome).toBe('ok');
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(site.archive)).toEqual([]);
    const keys = await sweepKeys(summary.runId);
    expect(keys[0]).toBe('sweep:known-requests');
    expect(keys.length).toBeGreaterThan(2);
    expect(keys.slice(1).every((key) => /^sweep:ids-from-\d+$/.test(key))).toBe(true);
  });

  it('keeps the frontier to a chunk when the highest known id is absurd, and stops at the budget', { timeout: 60_000 }, async () => {
    // A request the site claims to have under an id a thousand times past its others (or one a hostile site made up).
    const siteId = await site.archive.ensureSite(new URL(site.sim.url).origin);
    const [authority] = site.sim.groundTruth().requests;
    await site.archive.reconcileRequest(siteId, {
      remoteId: 2_000_000_000, urlTitle: 'made_up', title: 'A request under an absurd id', authority: authority!.authority,
      requester: null, status: 'waiting_response', prominence: 'normal', remoteCreatedAt: new Date('2025-01-01T00:00:00Z'), events: [],
    }, {});
    site.sim.clearLog();
    const started = Date.now();
    const summary = await runCrawl(site.archive, { site: site.sim.url, scope: { ids: true }, ratePerSecond: 200, maxRequests: 40, extract: false });
    expect(summary.budgetSpent).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    const rows = (await site.archive.db.execute(sql`select count(*)::int as n from frontier where run_id = ${summary.runId}`)) as unknown as { rows: { n: number }[] };
    expect(rows.rows[0]!.n).toBeLessThanOrEqual(1_002);
    expect(await sweepKeys(summary.runId)).toEqual(['sweep:known-requests', expect.stringMatching(/^sweep:ids-from-\d+$/)]);
    expect(site.sim.log.length).toBe(40);
  });
});
