import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import type { GroundTruthAttachment, GroundTruthRequest } from '../../fixtures/site/index.js';
import { pathAndQuery, siteAndArchive, startFront } from './helpers.js';

describe('an attachment the site keeps failing to serve', () => {
  const site = siteAndArchive({ requests: 12, seed: 8, maskingMs: 0 });
  let front: { url: string; close(): Promise<void> };
  let thread: GroundTruthRequest;
  let failing: GroundTruthAttachment;
  let broken = true;

  const publicAttachments = (request: GroundTruthRequest) => request.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden));

  beforeAll(async () => {
    thread = site.sim.groundTruth().requests.find((r) => publicAttachments(r).length > 1)!;
    failing = publicAttachments(thread)[0]!;
    front = await startFront(site.sim.url, async (req, res) => {
      if (!broken || req.url !== pathAndQuery(failing.url)) return false;
      res.writeHead(500, { 'content-type': 'text/html', 'content-length': 5 });
      res.end('oops!');
      return true;
    });
  });
  afterAll(() => front.close());

  const crawl = () =>
    runCrawl(site.archive, {
      site: front.url,
      scope: { requests: [thread.urlTitle] },
      ratePerSecond: 200,
      extract: false,
      itemRetryMs: 10,
      fetcher: { maxAttempts: 2, backoff: { baseMs: 1, maxMs: 5 } },
    });

  it('leaves the rest of the thread archived, not current, and the next run fetches what is missing', { timeout: 60_000 }, async () => {
    const first = await crawl();
    expect(first.counters.failedItems).toBe(1);
    const partial = await site.archive.getRequest(thread.urlTitle);
    expect(partial?.title).toBe(thread.title);
    expect(partial?.remoteUpdatedAt).toBeNull();
    const heldFirst = partial!.attachments.filter((a) => a.sha256 !== null).map((a) => a.sha256);
    expect(heldFirst.sort()).toEqual(publicAttachments(thread).filter((a) => a !== failing).map((a) => a.sha256).sort());

    broken = false;
    const second = await crawl();
    expect(second.counters.failedItems).toBe(0);
    const whole = await site.archive.getRequest(thread.urlTitle);
    expect(whole?.remoteUpdatedAt).not.toBeNull();
    expect(whole!.attachments.map((a) => a.sha256).sort()).toEqual(publicAttachments(thread).map((a) => a.sha256).sort());
  });
});
