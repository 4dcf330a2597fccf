import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl, Snapshotter } from '../../crawler/index.js';
import { startSimulator, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { requestGaps } from './helpers.js';

async function archivedIds(archive: Archive): Promise<number[]> {
  const ids: number[] = [];
  for await (const row of archive.exportRows({})) if (row.kind === 'request') ids.push(row.remoteId);
  return ids.sort((a, b) => a - b);
}

/** The requests a listing shows: public, normal prominence (backpage ones are never listed). */
const listed = (truth: GroundTruth, keep: (r: GroundTruth['requests'][number]) => boolean) =>
  truth.requests.filter((r) => r.prominence === 'normal' && keep(r)).map((r) => r.id).sort((a, b) => a - b);

describe('crawl scopes', () => {
  let sim: Simulator;
  const archives: TestArchive[] = [];
  const fresh = async () => {
    const test = await openTestArchive();
    archives.push(test);
    return test.archive;
  };
  beforeAll(async () => {
    sim = await startSimulator({ requests: 40, seed: 17, maskingMs: 150 });
  });
  afterAll(async () => {
    for (const test of archives) await test.cleanup();
    await sim?.close();
  });

  it('--request by id, slug and URL, at 10 requests a second measured at the site', { timeout: 60_000 }, async () => {
    const archive = await fresh();
    const [byId, bySlug, byUrl] = sim.groundTruth().requests.filter((r) => r.prominence === 'normal');
    sim.clearLog();
    const summary = await runCrawl(archive, {
      site: sim.url,
      scope: { requests: [String(byId!.id), bySlug!.urlTitle, `${sim.url}/request/${byUrl!.urlTitle}#incoming-1`] },
      ratePerSecond: 10,
      maskingRetryMs: 200,
      extract: false,
    });
    expect(summary.outcome).toBe('ok');
    expect(await archivedIds(archive)).toEqual([byId!.id, bySlug!.id, byUrl!.id].sort((a, b) => a - b));
    // The numeric id is a 301 to the slug, which is then followed.
    expect(sim.log.find((entry) => entry.path === `/request/${byId!.id}.json`)?.status).toBe(301);
    expect(sim.log.some((entry) => entry.path === `/request/${byId!.urlTitle}.json`)).toBe(true);
    const gaps = requestGaps(sim.log);
    expect(gaps.length).toBeGreaterThanOrEqual(6);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(99);
  });

  it('--body and --user take what their listings show', { timeout: 60_000 }, async () => {
    const truth = sim.groundTruth();
    const authority = truth.requests[0]!.authority.urlName;
    const requester = truth.requests.find((r) => r.requester)!.requester!.urlName;
    const bodyArchive = await fresh();
    expect((await runCrawl(bodyArchive, { site: sim.url, scope: { bodies: [authority] }, ratePerSecond: 200, maskingRetryMs: 200, extract: false })).outcome).toBe('ok');
    expect(await archivedIds(bodyArchive)).toEqual(listed(truth, (r) => r.authority.urlName === authority));

    const userArchive = await fresh();
    expect((await runCrawl(userArchive, { site: sim.url, scope: { users: [requester] }, ratePerSecond: 200, maskingRetryMs: 200, extract: false })).outcome).toBe('ok');
    expect(await archivedIds(userArchive)).toEqual(listed(truth, (r) => r.requester?.urlName === requester));
  });

  it('--recent pages /list to its end the first time, then only back to the last run', { timeout: 120_000 }, async () => {
    const archive = await fresh();
    const recent = () => runCrawl(archive, { site: sim.url, scope: { recent: true }, ratePerSecond: 200, maskingRetryMs: 200, extract: false });
    expect((await recent()).outcome).toBe('ok');
    expect(await archivedIds(archive)).toEqual(listed(sim.groundTruth(), () => true));

    const changes = sim.advance(1);
    sim.clearLog();
    const second = await recent();
    expect(second.outcome).toBe('ok');
    expect(second.counters.newRequests).toBe(changes.newRequests.length);
    for (const id of changes.newRequests) expect(await archivedIds(archive)).toContain(id);
    const listPages = sim.log.filter((entry) => entry.path.startsWith('/list'));
    expect(listPages.length).toBeLessThan(2);
  });

  it('--snapshots renders each captured thread page to PDF and PNG', { timeout: 120_000 }, async () => {
    const archive = await fresh();
    const request = sim.groundTruth().requests.find((r) => r.prominence === 'normal')!;
    const snapshotter = new Snapshotter();
    try {
      const summary = await runCrawl(archive, {
        site: sim.url,
        scope: { requests: [request.urlTitle] },
        ratePerSecond: 100,
        maskingRetryMs: 200,
        extract: false,
        snapshot: (a, captureId) => snapshotter.snapshot(a, captureId),
      });
      expect(summary.outcome).toBe('ok');
      expect(summary.counters.errors).toBe(0);
    } finally {
      await snapshotter.close();
    }
    const stored = await archive.getRequest(request.urlTitle);
    const page = stored?.captures.find((c) => c.kind === 'page');
    expect(page?.snapshotPdfSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(page?.snapshotPngSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
