import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import type { GroundTruthAttachment, GroundTruthRequest } from '../../fixtures/site/index.js';
import { isAttachmentPath, pathAndQuery, siteAndArchive, startFront } from './helpers.js';

const pathOf = (attachment: GroundTruthAttachment) => pathAndQuery(attachment.url);

describe.each([
  { how: 'a link to another site', misdirected: 'linked' as const, counter: 'attachmentsOffSite' as const },
  { how: 'a redirect to another site', misdirected: 'redirected' as const, counter: 'attachmentsOffSite' as const },
  { how: 'a redirect to a page robots.txt forbids', misdirected: 'forbidden' as const, counter: 'attachmentsDisallowed' as const },
])('an attachment reached through $how', ({ misdirected, counter }) => {
  const site = siteAndArchive({ requests: 12, seed: 8, maskingMs: 0 });
  let front: { url: string; close(): Promise<void> };
  let thread: GroundTruthRequest;
  let leftOut: GroundTruthAttachment;

  beforeAll(async () => {
    thread = site.sim
      .groundTruth()
      .requests.find((r) => r.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden)).length > 1)!;
    leftOut = thread.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden))[0]!;
    front = await startFront(site.sim.url, async (req, res, upstream) => {
      if (misdirected === 'linked' && req.url === `/request/${thread.urlTitle}?unfold=1`) {
        // The page as the simulator serves it, with the attachment's links pointing at the simulator's own origin.
        const page = (await upstream()).toString('utf8').replaceAll(`href="${pathOf(leftOut)}"`, `href="${site.sim.url}${pathOf(leftOut)}"`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
        res.end(page);
        return true;
      }
      if (misdirected !== 'linked' && req.url === pathOf(leftOut)) {
        // Off the site, or to the response page of its message, which robots.txt disallows (`*/request/*/response/*`).
        const location = misdirected === 'redirected' ? `${site.sim.url}${req.url}` : req.url.replace(/\/attach\/.*/, '');
        res.writeHead(302, { location, 'content-length': '0' });
        res.end();
        return true;
      }
      return false;
    });
  });
  afterAll(() => front.close());

  it('is left out of its thread, which is archived and current, and later runs do not ask for it again', { timeout: 60_000 }, async () => {
    const crawl = () => runCrawl(site.archive, { site: front.url, scope: { requests: [thread.urlTitle] }, ratePerSecond: 200, extract: false });

    const first = await crawl();
    expect(first.outcome).toBe('ok');
    expect(first.counters.failedItems).toBe(0);
    expect(first.counters[counter]).toBe(1);
    const stored = await site.archive.getRequest(thread.urlTitle);
    expect(stored?.remoteUpdatedAt).not.toBeNull();
    for (const expected of thread.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden))) {
      const got = stored!.attachments.find((a) => a.sha256 === expected.sha256);
      if (expected === leftOut) expect(got).toBeUndefined();
      else expect(got, expected.filename).toBeDefined();
    }
    // Nothing was asked where the attachment led: the fetcher refused the URL before any request.
    expect(site.sim.log.filter((entry) => entry.path === pathOf(leftOut) || /\/response\/\d+$/.test(entry.path))).toEqual([]);

    site.sim.clearLog();
    const second = await crawl();
    expect(second.outcome).toBe('ok');
    expect(second.counters.pages).toBe(0);
    expect(site.sim.log.filter((entry) => isAttachmentPath(entry.path))).toEqual([]);
  });
});
