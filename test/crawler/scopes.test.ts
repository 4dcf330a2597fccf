import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSummary, runCrawl, Snapshotter } from '../../crawler/index.js';
import { startSimulator, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { requestGaps, siteAndArchive } from './helpers.js';

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

  it('--request for a slug the site does not serve says so in the summary', { timeout: 60_000 }, async () => {
    const archive = await fresh();
    const summary = await runCrawl(archive, { site: sim.url, scope: { requests: ['no_such_request'] }, ratePerSecond: 200, extract: false });
    expect(summary.outcome).toBe('ok');
    expect(summary.counters).toMatchObject({ json: 1, newRequests: 0, notPublicRequests: 1 });
    expect(formatSummary(summary)).toContain('unknown:  1 request the site does not serve to the public and the archive never had');
  });

  it('waits twice as long as the site took after a slow answer, and says so in the summary', { timeout: 60_000 }, async () => {
    const archive = await fresh();
    const slug = sim.groundTruth().requests.find((r) => r.prominence === 'normal')!.urlTitle;
    sim.clearLog();
    sim.setFaults({ rate: 1, kinds: ['slow'], routes: /\.json$/, slowMs: 400 });
    const summary = await runCrawl(archive, { site: sim.url, scope: { requests: [slug] }, ratePerSecond: 200, extract: false }).finally(() =>
      sim.setFaults(undefined),
    );
    expect(summary.outcome).toBe('ok');
    const json = sim.log.findIndex((entry) => entry.path.endsWith('.json'));
    const next = sim.log[json + 1];
    expect(next).toBeDefined();
    // 400 ms for the answer, then 800 ms before the next request: not the 5 ms of the rate.
    expect(next!.time - sim.log[json]!.time).toBeGreaterThanOrEqual(1_180);
    // The JSON at least; at 5 ms between requests, a page that took 3 ms also sets the pause.
    expect(summary.counters.slowAnswers).toBeGreaterThanOrEqual(1);
    expect(formatSummary(summary)).toMatch(/\n  pace: {5}\d+ answers? slow enough that the crawl waited twice as long after them as the site took$/m);
  });

  it('--body with a url_name the site does not have fails, asking for its listing once', { timeout: 60_000 }, async () => {
    const archive = await fresh();
    sim.clearLog();
    const summary = await runCrawl(archive, { site: sim.url, scope: { bodies: ['no_such_authority'] }, ratePerSecond: 200, extract: false });
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(/^no listing could be read, so nothing was archived \(unexpected HTTP 404 for .*\/body\/no_such_authority\); the site has no authority by that url_name$/);
    expect(sim.log.filter((entry) => entry.path.startsWith('/body/')).map((entry) => entry.path)).toEqual(['/body/no_such_authority']);
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
    // The crawl logs a failed snapshot and goes on; the failure itself (Chromium missing, say) is what the test shows.
    const failures: string[] = [];
    try {
      const summary = await runCrawl(archive, {
        site: sim.url,
        scope: { requests: [request.urlTitle] },
        ratePerSecond: 100,
        maskingRetryMs: 200,
        extract: false,
        snapshot: (a, captureId) =>
          snapshotter.snapshot(a, captureId).catch((error: unknown) => {
            failures.push(error instanceof Error ? error.message : String(error));
            throw error;
          }),
      });
      expect(failures).toEqual([]);
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

type Window = { from: string; to: string };

/** The date windows of `/list` the crawl asked for, with the pages it asked for of each, from the site's log. */
function listedWindows(sim: Simulator): Map<string, Window & { pages: number[] }> {
  const windows = new Map<string, Window & { pages: number[] }>();
  for (const entry of sim.log) {
    const url = new URL(entry.path, sim.url);
    if (url.pathname !== '/list') continue;
    const [d1, m1, y1] = url.searchParams.get('request_date_after')!.split('/');
    const [d2, m2, y2] = url.searchParams.get('request_date_before')!.split('/');
    const key = `${y1}-${m1}-${d1}..${y2}-${m2}-${d2}`;
    const seen = windows.get(key) ?? { from: `${y1}-${m1}-${d1}`, to: `${y2}-${m2}-${d2}`, pages: [] };
    seen.pages.push(Number(url.searchParams.get('page') ?? 1));
    windows.set(key, seen);
  }
  return windows;
}

/** The windows that were listed rather than split: they must tile the whole range. */
function tilingLeaves(windows: Map<string, Window>, whole: Window): Window[] {
  const all = [...windows.values()];
  const leaves = all.filter((w) => !all.some((other) => other !== w && other.from >= w.from && other.to <= w.to));
  leaves.sort((a, b) => a.from.localeCompare(b.from));
  expect(leaves.length).toBeGreaterThan(1);
  expect(leaves[0]!.from).toBe(whole.from);
  expect(leaves.at(-1)!.to).toBe(whole.to);
  for (let i = 1; i < leaves.length; i++) {
    const dayAfter = new Date(Date.parse(`${leaves[i - 1]!.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(leaves[i]!.from).toBe(dayAfter);
  }
  return leaves;
}

const listUrl = (sim: Simulator, { from, to }: Window, page = 1) => {
  const [fy, fm, fd] = from.split('-');
  const [ty, tm, td] = to.split('-');
  return `${sim.url}/list?request_date_after=${fd}/${fm}/${fy}&request_date_before=${td}/${tm}/${ty}&page=${page}`;
};

/** "About N FOI requests found": the site's count. */
async function reportedTotal(sim: Simulator, window: Window): Promise<number> {
  const html = await (await fetch(listUrl(sim, window))).text();
  const total = /About ([\d,]+) FOI requests? found/.exec(html)?.[1];
  // A listing without its count would make "under 500" pass for nothing.
  if (total === undefined) throw new Error(`the listing ${window.from}..${window.to} shows no "About N FOI requests found"`);
  return Number(total.replace(/,/g, ''));
}

/** What the listing really serves, counted page by page up to the site's 20 (500 means "500 or more"). */
async function trueCount(sim: Simulator, window: Window): Promise<number> {
  let count = 0;
  for (let page = 1; page <= 20; page++) {
    const shown = (await (await fetch(listUrl(sim, window, page))).text()).match(/class="request_listing"/g)?.length ?? 0;
    count += shown;
    if (shown < 25) break;
  }
  return count;
}

describe('--backfill on a site too big for one listing', () => {
  const site = siteAndArchive({ requests: 700, seed: 3 });

  it('splits the date window in halves until each lists under 500, so nothing is lost to the 20-page cap', { timeout: 120_000 }, async () => {
    const window = { from: '2024-01-01', to: '2026-06-30' };
    const summary = await runCrawl(site.archive, {
      site: site.sim.url,
      scope: { backfill: window },
      ratePerSecond: 200,
      maxRequests: 80,
      extract: false,
    });
    // Listings are paged before threads are fetched, so the budget stops the run among the threads.
    expect(summary.outcome).toBe('interrupted');
    expect(summary.error).toMatch(/request budget of 80 used up.*resumes it/);
    // Counted at the site, not by the crawler: robots.txt, redirects and retries all spend the budget.
    expect(site.sim.log.length).toBe(80);

    const windows = listedWindows(site.sim);
    expect(windows.get(`${window.from}..${window.to}`)?.pages).toEqual([1]);
    expect(await reportedTotal(site.sim, window)).toBeGreaterThanOrEqual(500);
    const leaves = tilingLeaves(windows, window);
    for (const leaf of leaves) expect(await reportedTotal(site.sim, leaf)).toBeLessThan(500);
    for (const leaf of leaves) expect(await trueCount(site.sim, leaf)).toBeLessThan(500);
  });
});

describe('--backfill on a site whose listing counts fall short of the truth', () => {
  // Xapian's counts are estimates; here /list counts 70% of what it serves.
  const site = siteAndArchive({ requests: 700, seed: 3, listingEstimate: 0.7 });

  it('lists a window again in halves when it fills page 20 though the site counted under 500', { timeout: 120_000 }, async () => {
    const window = { from: '2024-01-01', to: '2026-06-30' };
    // The count promises 19 pages at most, so the window is paged rather than split at once.
    expect(await reportedTotal(site.sim, window)).toBeLessThanOrEqual(19 * 25);
    expect(await trueCount(site.sim, window)).toBe(500);
    site.sim.clearLog();
    // One worker lists everything before the first thread, and the budget ends the run among the threads.
    const summary = await runCrawl(site.archive, { site: site.sim.url, scope: { backfill: window }, ratePerSecond: 200, maxRequests: 80, workers: 1, extract: false });
    expect(summary.outcome).toBe('interrupted');
    expect(site.sim.log.at(-1)?.path).toMatch(/^\/request\//);

    const windows = listedWindows(site.sim);
    expect(windows.get(`${window.from}..${window.to}`)?.pages).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const leaves = tilingLeaves(windows, window);
    for (const leaf of leaves) expect(await trueCount(site.sim, leaf)).toBeLessThan(500);
  });
});
