import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl, type CrawlOptions } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

async function archivedIds(archive: Archive): Promise<Set<number>> {
  const ids = new Set<number>();
  for await (const row of archive.exportRows({})) if (row.kind === 'request') ids.add(row.remoteId);
  return ids;
}

describe('the --recent mark', () => {
  let sim: Simulator;
  let test: TestArchive;
  beforeAll(async () => {
    sim = await startSimulator({ requests: 40, seed: 17, maskingMs: 150 });
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  const recent = (extra: Partial<CrawlOptions> = {}) =>
    runCrawl(test.archive, { site: sim.url, scope: { recent: true }, ratePerSecond: 200, maskingRetryMs: 200, extract: false, ...extra });

  it('does not move past a run that gave up on its listing: the next run pages back to the last complete one', { timeout: 120_000 }, async () => {
    const first = await recent();
    expect(first.outcome).toBe('ok');
    expect(first.counters.failedItems).toBe(0);

    // Two months of changes: more threads than the listing's first page shows, so a cutoff too late loses some.
    const changes = sim.advance(60);
    expect(new Set([...changes.newRequests, ...changes.newResponses.map((r) => r.requestId)]).size).toBeGreaterThan(25);
    // The site's listing fails all night: nothing is listed, so nothing of the day's changes is seen.
    sim.setFaults({ rate: 1, kinds: ['status500'], routes: /^\/list/ });
    const failing = await recent({ itemRetryMs: 20, fetcher: { backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2 } });
    sim.setFaults(undefined);
    // Six failed attempts (two for each of the listing's three tries): under the ten that would stop the run.
    expect(failing.outcome).toBe('ok');
    expect(failing.counters.newRequests).toBe(0);
    expect(failing.counters.failedItems).toBe(1);

    const next = await recent();
    expect(next.outcome).toBe('ok');
    // Paged back to the first run's mark, not to when the failing run started (months after the site's clock).
    expect(next.counters.newRequests).toBe(changes.newRequests.length);
    const ids = await archivedIds(test.archive);
    for (const id of changes.newRequests) expect(ids.has(id), `request ${id}`).toBe(true);
    for (const { requestId, incomingId } of changes.newResponses) {
      const stored = await test.archive.getRequest(String(requestId));
      expect(stored?.events.some((e) => e.kind === 'incoming' && e.messageId === incomingId), `response ${incomingId} of request ${requestId}`).toBe(true);
    }
  });
});
