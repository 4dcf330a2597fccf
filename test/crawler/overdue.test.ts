import { describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { siteAndArchive } from './helpers.js';

/**
 * A request's status depends on the date (facts §9.7): one still waiting turns overdue when its due date passes. The
 * site's daily task logs an `overdue` event for it, but a crawl can come between the two.
 */
describe('a request that turns overdue before the site logs an event for it', () => {
  const site = siteAndArchive({ requests: 30, seed: 7, maskingMs: 100, overdueEvents: false });

  it('is fetched again, as its JSON shows another status, and only then', { timeout: 120_000 }, async () => {
    // Backpage: no listing shows it, and advance() gives it no response, so only the date changes its status.
    const authority = site.sim.groundTruth().requests[0]!.authority.urlName;
    const filed = site.sim.fileRequest({ title: 'Pothole repair backlog by ward', authority, prominence: 'backpage' });
    const crawl = () =>
      runCrawl(site.archive, { site: site.sim.url, scope: { requests: [filed.urlTitle] }, ratePerSecond: 200, maskingRetryMs: 100, extract: false });
    expect((await crawl()).counters.newRequests).toBe(1);
    expect((await site.archive.getRequest(filed.urlTitle))?.status).toBe('waiting_response');
    const eventsBefore = site.sim.groundTruth().requests.find((r) => r.id === filed.id)!.events.length;

    site.sim.advance(35);
    const truth = site.sim.groundTruth().requests.find((r) => r.id === filed.id)!;
    expect(truth.status).toBe('waiting_response_overdue');
    expect(truth.events).toHaveLength(eventsBefore);

    const overdue = await crawl();
    expect(overdue.counters).toMatchObject({ json: 1, pages: 1, changedRequests: 1 });
    const stored = await site.archive.getRequest(filed.urlTitle);
    expect(stored?.status).toBe('waiting_response_overdue');
    expect(stored?.history.map((h) => [h.change, h.from, h.to])).toContainEqual(['status', 'waiting_response', 'waiting_response_overdue']);

    expect((await crawl()).counters).toMatchObject({ json: 1, pages: 0, unchangedRequests: 1 });
  });
});
