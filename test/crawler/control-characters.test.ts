import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import type { GroundTruthAttachment, GroundTruthRequest } from '../../fixtures/site/index.js';
import { pathAndQuery, siteAndArchive, startFront } from './helpers.js';

describe('a thread whose JSON, page and attachment link carry control characters', () => {
  const site = siteAndArchive({ requests: 12, seed: 8, maskingMs: 0 });
  let front: { url: string; close(): Promise<void> };
  let thread: GroundTruthRequest;
  let unnamed: GroundTruthAttachment;

  beforeAll(async () => {
    thread = site.sim.groundTruth().requests.find((r) => r.events.some((e) => !e.hidden && e.attachments.some((a) => !a.hidden)))!;
    unnamed = thread.events.filter((e) => !e.hidden).flatMap((e) => e.attachments.filter((a) => !a.hidden))[0]!;
    const attachmentPath = pathAndQuery(unnamed.url);
    const nulPath = attachmentPath.replace(/\/([^/?]+)(\?|$)/, '/a%00b.pdf$2');
    front = await startFront(site.sim.url, async (req, res, upstream) => {
      let body: string | undefined;
      if (req.url === `/request/${thread.urlTitle}.json`) {
        body = (await upstream()).toString('utf8').replace('"title":"', '"title":"\\u0000\\u001b[2J');
      } else if (req.url === `/request/${thread.urlTitle}?unfold=1`) {
        // The attachment without a shown name, linked under a name with %00: the name is read from the link. And an
        // escape sequence in the messages, which `show` would print.
        body = (await upstream())
          .toString('utf8')
          .replaceAll('Dear ', 'Dear \u001b]0;pwned\u0007')
          .replaceAll(`href="${attachmentPath}"`, `href="${nulPath}"`)
          .replace(`<p class="attachment__name">${unnamed.filename}</p>`, '<p class="attachment__name"></p>');
      } else if (req.url === nulPath) {
        req.url = attachmentPath;
        return false;
      }
      if (body === undefined) return false;
      res.writeHead(200, { 'content-type': req.url!.endsWith('.json') ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8' });
      res.end(body);
      return true;
    });
  });
  afterAll(() => front.close());

  it('is archived, each control character kept as U+FFFD', { timeout: 60_000 }, async () => {
    const summary = await runCrawl(site.archive, { site: front.url, scope: { requests: [thread.urlTitle] }, ratePerSecond: 200, extract: false });
    expect(summary.outcome).toBe('ok');
    expect(summary.counters.failedItems).toBe(0);
    const stored = await site.archive.getRequest(thread.urlTitle);
    expect(stored?.title).toBe(`\uFFFD\uFFFD[2J${thread.title}`);
    expect(stored?.attachments.find((a) => a.sha256 === unnamed.sha256)?.filename).toBe('a\uFFFDb.pdf');
    expect(stored?.events.some((event) => event.text?.includes('Dear \uFFFD]0;pwned\uFFFD'))).toBe(true);
    expect(JSON.stringify(stored)).not.toMatch(/\\u00(?:00|1b|07)/);
  });
});

describe('a request JSON answered with binary bytes', () => {
  const site = siteAndArchive({ requests: 12, seed: 8, maskingMs: 0 });
  let front: { url: string; close(): Promise<void> };
  let thread: GroundTruthRequest;

  beforeAll(async () => {
    thread = site.sim.groundTruth().requests[0]!;
    front = await startFront(site.sim.url, async (req, res) => {
      if (req.url !== `/request/${thread.urlTitle}.json`) return false;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]));
      return true;
    });
  });
  afterAll(() => front.close());

  it('fails that thread, saying why, and the run ends', { timeout: 60_000 }, async () => {
    const summary = await runCrawl(site.archive, {
      site: front.url,
      scope: { requests: [thread.urlTitle] },
      ratePerSecond: 200,
      extract: false,
      itemRetryMs: 10,
    });
    expect(summary.counters.failedItems).toBe(1);
    const [run] = await site.archive.runs.list(1);
    expect(run?.endedAt).not.toBeNull();
    const failed = (await site.archive.db.execute(sql`select error from frontier where status = 'failed'`)) as unknown as { rows: { error: string }[] };
    expect(failed.rows).toEqual([{ error: expect.stringMatching(/^not a request JSON: invalid JSON \(Unexpected token '\uFFFD'/) }]);
  });
});
