import { describe, expect, it } from 'vitest';
import { MAX_CARRIED_RUNS, runCrawl, type CrawlOptions } from '../../crawler/index.js';
import type { Archive } from '../../storage/index.js';
import { capturingLogger } from '../crawler-http/test-server.js';
import { differencesFromTruth, siteAndArchive } from './helpers.js';

async function archivedIds(archive: Archive): Promise<Set<number>> {
  const ids = new Set<number>();
  for await (const row of archive.exportRows({})) if (row.kind === 'request') ids.add(row.remoteId);
  return ids;
}

describe('the --recent mark', () => {
  const site = siteAndArchive({ requests: 40, seed: 17, maskingMs: 150 });

  const recent = (extra: Partial<CrawlOptions> = {}) =>
    runCrawl(site.archive, { site: site.sim.url, scope: { recent: true }, ratePerSecond: 200, maskingRetryMs: 200, extract: false, ...extra });

  it('does not move past a run that gave up on its listing: the next run pages back to the last complete one', { timeout: 120_000 }, async () => {
    const first = await recent();
    expect(first.outcome).toBe('ok');
    expect(first.counters.failedItems).toBe(0);

    // Two months of changes: more threads than the listing's first page shows, so a cutoff too late loses some.
    const changes = site.sim.advance(60);
    expect(new Set([...changes.newRequests, ...changes.newResponses.map((r) => r.requestId)]).size).toBeGreaterThan(25);
    // The site's listing fails all night: nothing is listed, so nothing of the day's changes is seen.
    site.sim.setFaults({ rate: 1, kinds: ['status500'], routes: /^\/list/ });
    const failing = await recent({ itemRetryMs: 20, fetcher: { backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2 } });
    site.sim.setFaults(undefined);
    // Six failed attempts (two for each of the listing's three tries): under the ten that would stop the run. With
    // nothing listed and nothing archived the run has failed, and says so (a non-zero exit for the CLI).
    expect(failing.outcome).toBe('failed');
    expect(failing.error).toMatch(/^no listing could be read, so nothing was archived \(.*HTTP 500.*\)$/);
    expect(failing.counters.newRequests).toBe(0);
    expect(failing.counters.failedItems).toBe(1);
    expect(failing.counters.listingsFailed).toBe(1);

    const next = await recent();
    expect(next.outcome).toBe('ok');
    // Paged back to the first run's mark, not to when the failing run started (months after the site's clock).
    expect(next.counters.newRequests).toBe(changes.newRequests.length);
    const ids = await archivedIds(site.archive);
    for (const id of changes.newRequests) expect(ids.has(id), `request ${id}`).toBe(true);
    for (const { requestId, incomingId } of changes.newResponses) {
      const stored = await site.archive.getRequest(String(requestId));
      expect(stored?.events.some((e) => e.kind === 'incoming' && e.messageId === incomingId), `response ${incomingId} of request ${requestId}`).toBe(true);
    }
  });
});

describe('threads a run gave up on', () => {
  const site = siteAndArchive({ requests: 40, seed: 23, maskingMs: 150 });

  // A margin of a minute: the next run lists only what changed just before the last mark, so what it fetches beyond
  // that can only have been carried over.
  const recent = (extra: Partial<CrawlOptions> = {}) =>
    runCrawl(site.archive, {
      site: site.sim.url,
      scope: { recent: true },
      ratePerSecond: 200,
      maskingRetryMs: 200,
      recentMarginMs: 60_000,
      extract: false,
      itemRetryMs: 20,
      fetcher: { backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2 },
      ...extra,
    });
  const jsonFetches = (slug: string) => site.sim.log.filter((entry) => entry.path.startsWith(`/request/${slug}.json`)).length;
  const slugOf = (id: number) => site.sim.groundTruth().requests.find((request) => request.id === id)!.urlTitle;

  it('are tried again by the next run, and do not hold the mark back', { timeout: 120_000 }, async () => {
    expect((await recent()).outcome).toBe('ok');

    const changes = site.sim.advance(5);
    const changed = new Set([...changes.newRequests, ...changes.newResponses.map((r) => r.requestId)]);
    expect(changed.size).toBeGreaterThan(4);
    const victim = changes.newRequests[0]!;
    const slug = slugOf(victim);
    site.sim.setFaults({ rate: 1, kinds: ['status500'], routes: new RegExp(`^/request/${slug}\\.json`) });
    const failing = await recent();
    site.sim.setFaults(undefined);
    expect(failing.outcome).toBe('ok');
    expect(failing.counters.failedItems).toBe(1);
    expect(failing.counters.listingsFailed).toBe(0);
    expect(await site.archive.getRequest(String(victim))).toBeNull();

    site.sim.clearLog();
    const next = await recent();
    expect(next.outcome).toBe('ok');
    expect(next.counters.carriedItems).toBe(1);
    expect(jsonFetches(slug)).toBe(1);
    expect(await site.archive.getRequest(String(victim))).not.toBeNull();
    // Paged back to the failing run's mark: the five days of changes before it are not listed again.
    expect(next.counters.json).toBeLessThan(changed.size);
    expect(next.counters.newRequests).toBe(1);

    site.sim.clearLog();
    const after = await recent();
    expect(after.counters.carriedItems).toBe(0);
    expect(jsonFetches(slug)).toBe(0);
  });

  it(`are carried into at most ${MAX_CARRIED_RUNS} runs, then left to the listings`, { timeout: 180_000 }, async () => {
    const changes = site.sim.advance(1);
    const victim = changes.newResponses[0]!.requestId;
    const slug = slugOf(victim);
    site.sim.setFaults({ rate: 1, kinds: ['status500'], routes: new RegExp(`^/request/${slug}\\.json`) });
    const first = await recent();
    expect(first.counters.failedItems).toBe(1);
    // The mark moves past the thread's last change, so no listing shows it again unless it changes.
    const later = site.sim.advance(1);
    expect([...later.newRequests, ...later.newResponses.map((r) => r.requestId)]).not.toContain(victim);
    for (let carried = 1; carried <= MAX_CARRIED_RUNS; carried++) {
      site.sim.clearLog();
      const run = await recent();
      expect(run.outcome).toBe('ok');
      expect(run.counters.carriedItems, `run ${carried} after the first failure`).toBe(1);
      expect(run.counters.failedItems).toBe(1);
      expect(jsonFetches(slug)).toBeGreaterThan(0);
    }
    site.sim.clearLog();
    const { logger, lines } = capturingLogger();
    const last = await recent({ log: logger });
    site.sim.setFaults(undefined);
    expect(last.counters.carriedItems).toBe(0);
    expect(jsonFetches(slug)).toBe(0);
    expect(lines.some((line) => line.level === 40 && line.msg.startsWith('given up on in every run'))).toBe(true);
  });

  it('warns once when it stops carrying one, even while no run becomes a mark', { timeout: 180_000 }, async () => {
    const victim = site.sim.advance(1).newResponses[0]!.requestId;
    const slug = slugOf(victim);
    site.sim.setFaults({ rate: 1, kinds: ['status500'], routes: new RegExp(`^/request/${slug}\\.json`) });
    expect((await recent()).counters.failedItems).toBe(1);
    // From here the newest-first listing fails too: no run is a mark, and each looks back over every run since the last.
    site.sim.setFaults({ rate: 1, kinds: ['status500'], routes: new RegExp(`^/(list|request/${slug}\\.json)`) });
    const warned: number[] = [];
    for (let run = 1; run <= MAX_CARRIED_RUNS + 2; run++) {
      const { logger, lines } = capturingLogger();
      const summary = await recent({ log: logger, fetcher: { backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2, maxConsecutiveFailures: 1000 } });
      expect(summary.counters.listingsFailed).toBe(1);
      warned.push(lines.filter((line) => line.level === 40 && line.msg.startsWith('given up on in every run')).length);
    }
    site.sim.setFaults(undefined);
    expect(warned).toEqual([...Array.from({ length: MAX_CARRIED_RUNS }, () => 0), 1, 0]);
  });
});

describe('a --recent listing that reaches page 20 before the mark', () => {
  // Over 500 listed requests: more than the site's newest-first listing ever shows.
  const site = siteAndArchive({ requests: 600, seed: 5 });

  it('warns and counts the gap', { timeout: 60_000 }, async () => {
    // The last good run saw the site years ago: every listed request is newer than its mark.
    const origin = new URL(site.sim.url).origin;
    const siteId = await site.archive.ensureSite(origin);
    const mark = await site.archive.runs.start({ site: origin, siteId, recent: true });
    await site.archive.runs.finish(mark, 'ok', { newestListedMs: Date.parse('2020-01-01T00:00:00Z'), failedItems: 0, listingsFailed: 0 });

    const { logger, lines } = capturingLogger();
    // One worker takes every listing page before any thread; the budget ends the run there (robots.txt + 20 pages).
    const run = await runCrawl(site.archive, { site: site.sim.url, scope: { recent: true }, ratePerSecond: 200, extract: false, workers: 1, maxRequests: 21, log: logger });
    expect(run.outcome).toBe('interrupted');
    expect(run.counters.listings).toBe(20);
    expect(run.counters.listingsCutShort).toBe(1);
    expect(lines.filter((line) => line.level === 40 && line.msg.includes('ends at page 20 before the last run\'s mark'))).toHaveLength(1);
    expect(site.sim.log.filter((entry) => entry.path.startsWith('/list')).map((entry) => entry.path)).toEqual([
      '/list',
      ...Array.from({ length: 19 }, (_, i) => `/list?page=${i + 2}`),
    ]);
  });
});

describe('a rolling re-check', () => {
  const site = siteAndArchive({ requests: 40, seed: 31, maskingMs: 150 });

  const crawl = (scope: CrawlOptions['scope']) => runCrawl(site.archive, { site: site.sim.url, scope, ratePerSecond: 200, maskingRetryMs: 200, extract: false });
  const jsonPaths = () => new Set(site.sim.log.filter((entry) => /^\/request\/[^/]+\.json$/.test(entry.path)).map((entry) => entry.path));

  it('notices what no listing shows, and asks about the requests checked longest ago first', { timeout: 120_000 }, async () => {
    expect((await crawl({ all: true, ids: true })).outcome).toBe('ok');
    const known = (await archivedIds(site.archive)).size;

    const changes = site.sim.advance(1);
    expect(changes.hidden).toHaveLength(1);
    const hidden = String(changes.hidden[0]);
    // The newest-first listing shows new events; a request taken down leaves it without one.
    expect((await crawl({ recent: true })).outcome).toBe('ok');
    expect(await site.archive.getRequest(hidden)).not.toBeNull();

    const everything = await crawl({ recent: true, recheck: known });
    expect(everything.counters.removedRequests).toBe(1);
    expect(await site.archive.getRequest(hidden)).toBeNull();
    const truthOptions = { oncePublic: changes.hidden, oncePublicAttachments: changes.hiddenAttachments.map((h) => h.attachmentId) };
    expect(await differencesFromTruth(site.archive, site.sim.groundTruth(), truthOptions)).toEqual([]);

    site.sim.clearLog();
    expect((await crawl({ recheck: 10 })).outcome).toBe('ok');
    const first = jsonPaths();
    site.sim.clearLog();
    expect((await crawl({ recheck: 10 })).outcome).toBe('ok');
    const second = jsonPaths();
    expect(first.size).toBe(10);
    expect(second.size).toBe(10);
    expect([...second].filter((path) => first.has(path))).toEqual([]);
  });
});
