import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl, type CrawlSummary } from '../../crawler/index.js';
import { ROBOTS_TXT, startSimulator, type ChangeSummary, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath, isThreadPagePath, requestGaps, robotsAllows, robotsViolations } from './helpers.js';

// The whole simulated site, three nightly runs in a row: first crawl, no change, one simulated day.
// 200 requests, the size the project promises; WDTK_TEST_SITE_SIZE lowers it for a quicker local run.
const SITE_SIZE = Number(process.env['WDTK_TEST_SITE_SIZE'] ?? 200);
const RATE = 200;
const USER_AGENT = 'wdtk-archive/0.1.0 (+local-test)';

describe('the robots.txt oracle the crawl tests use', () => {
  it('reads the simulator\'s robots.txt as RFC 9309 does', () => {
    const allows = (path: string) => robotsAllows(ROBOTS_TXT, USER_AGENT, path);
    // The attachment Allow (longer) beats the response Disallow; the response page itself stays forbidden.
    expect(allows('/request/some_thread/response/12/attach/3/letter.pdf')).toBe(true);
    expect(allows('/request/some_thread/response/12')).toBe(false);
    expect(allows('/request/some_thread/response/12/attach/html/3/letter.pdf.html')).toBe(true);
    expect(allows('/request/some_thread')).toBe(true);
    expect(allows('/request/some_thread.json')).toBe(true);
    expect(allows('/request/some_thread/annotate')).toBe(false);
    expect(allows('/request/some_thread/download')).toBe(false);
    expect(allows('/request/some_thread?update_status=1')).toBe(false);
    expect(allows('/profile/sign_in')).toBe(false);
    expect(allows('/list?page=2')).toBe(true);
    expect(allows('/robots.txt')).toBe(true);
  });

  it('takes the longest match, Allow on a tie, $ as the end, and the group naming the crawler before *', () => {
    const rules = 'User-agent: *\nDisallow: /\n\nUser-agent: other-bot\nUser-agent: WDTK-Archive\nDisallow: /page\nAllow: /page\nAllow: /p\nDisallow: /pa\nDisallow: /*.pdf$\nDisallow: /a%3cb\n';
    const allows = (path: string) => robotsAllows(rules, USER_AGENT, path);
    expect(allows('/page')).toBe(true);
    expect(allows('/pan')).toBe(false);
    expect(allows('/p')).toBe(true);
    expect(allows('/x.pdf')).toBe(false);
    expect(allows('/x.pdf?inline=1')).toBe(true);
    expect(allows('/a%3Cb')).toBe(false);
    expect(allows('/elsewhere')).toBe(true);
    expect(robotsAllows(rules, 'somebody-else/1.0', '/elsewhere')).toBe(false);
  });
});

describe(`a full crawl of a ${SITE_SIZE}-request site`, () => {
  let sim: Simulator;
  let test: TestArchive;
  let lastDay: { runId: number; changes: ChangeSummary } | undefined;
  const crawl = (): Promise<CrawlSummary> =>
    runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: RATE, maskingRetryMs: 300, extract: false });

  beforeAll(async () => {
    sim = await startSimulator({ requests: SITE_SIZE, seed: 5, maskingMs: 250 });
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('archives exactly the public site, politely', { timeout: 240_000 }, async () => {
    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    const truth = sim.groundTruth();
    expect(await differencesFromTruth(test.archive, truth)).toEqual([]);
    expect(await integrityProblems(test.archive, { log: sim.log, site: sim.url, runIds: [summary.runId] })).toEqual([]);

    const attachments = truth.requests.flatMap((r) => r.events.flatMap((e) => e.attachments.filter((a) => !a.hidden)));
    expect(attachments.length).toBeGreaterThan(100);
    expect(summary.counters.newRequests).toBe(truth.requests.length);
    expect(summary.counters.maskingRequeued).toBeGreaterThan(0);

    expect(robotsViolations(sim.log)).toEqual([]);
    // Nothing of a withheld attachment or message is ever asked for: their URLs answer 403.
    expect(sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 403)).toEqual([]);
    expect(new Set(sim.log.map((entry) => entry.userAgent))).toEqual(new Set([USER_AGENT]));
    // Text comes compressed, which spares the site most of its bytes (and the archive matches all the same, above);
    // attachments are asked for as they are.
    const [attachmentLog, textLog] = [sim.log.filter((entry) => isAttachmentPath(entry.path)), sim.log.filter((entry) => !isAttachmentPath(entry.path))];
    expect(new Set(textLog.map((entry) => entry.headers['accept-encoding']))).toEqual(new Set(['gzip, br']));
    expect(new Set(attachmentLog.map((entry) => entry.headers['accept-encoding']))).toEqual(new Set([undefined]));
    expect(Math.max(...sim.log.map((entry) => entry.concurrent))).toBe(1);
    expect(Math.min(...requestGaps(sim.log))).toBeGreaterThanOrEqual(1000 / RATE - 1);
  });

  it('asks again only for JSON and listings when nothing changed', { timeout: 120_000 }, async () => {
    sim.clearLog();
    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(summary.counters.pages).toBe(0);
    expect(summary.counters.attachments).toBe(0);
    expect(summary.counters.unchangedRequests).toBe(sim.groundTruth().requests.length);
    expect(sim.log.filter((entry) => isThreadPagePath(entry.path) || isAttachmentPath(entry.path))).toEqual([]);
    // Conditional GETs: every thread's JSON carries the stored ETag back, and the site answers 304.
    const threadJson = sim.log.filter((entry) => entry.path.endsWith('.json') && entry.headers['if-none-match']);
    expect(threadJson.length).toBeGreaterThanOrEqual(sim.groundTruth().requests.length);
    expect(threadJson.filter((entry) => entry.status !== 304)).toEqual([]);
    expect(sim.log.some((entry) => entry.path.startsWith('/body/') && entry.status === 304)).toBe(true);
    expect(summary.counters.notModified).toBe(sim.log.filter((entry) => entry.status === 304).length);
  });

  it('picks up exactly the changes of a simulated day: new threads, responses, a removal, a rename', { timeout: 240_000 }, async () => {
    const before = sim.groundTruth();
    const changes: ChangeSummary = sim.advance(1);
    const after = sim.groundTruth();
    expect(changes.hidden.length).toBeGreaterThan(0);
    expect(changes.renamed.length).toBeGreaterThan(0);
    expect(changes.newResponses.length).toBeGreaterThan(0);
    sim.clearLog();
    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    lastDay = { runId: summary.runId, changes };
    expect(
      await differencesFromTruth(test.archive, after, {
        oncePublic: changes.hidden,
        oncePublicAttachments: changes.hiddenAttachments.map((h) => h.attachmentId),
      }),
    ).toEqual([]);
    expect(await integrityProblems(test.archive, { log: sim.log, site: sim.url, runIds: [summary.runId] })).toEqual([]);

    expect(summary.counters.removedRequests).toBe(changes.hidden.length);
    for (const remoteId of changes.hidden) {
      const removed = await test.archive.getRequest(String(remoteId), { includeRemoved: true });
      expect(removed?.remoteId).toBe(remoteId);
      expect(removed?.removedAt).toBeInstanceOf(Date);
      expect(removed?.removalReason).toMatch(/HTTP 403/);
    }
    for (const rename of changes.renamed) {
      const renamed = await test.archive.getRequest(rename.to);
      expect(renamed?.remoteId).toBe(rename.requestId);
      expect(renamed?.removedAt).toBeNull();
      expect(renamed?.history.some((h) => h.change === 'renamed' && h.from === rename.from && h.to === rename.to)).toBe(true);
    }
    expect(summary.counters.newRequests).toBe(changes.newRequests.length);

    // Unchanged threads cost one JSON request each; only threads whose JSON shows a change are fetched as pages.
    const fetchedThreads = threadsOfPages(sim.log.map((entry) => entry.path).filter(isThreadPagePath), [before, after], changes);
    expect(fetchedThreads.unknown).toEqual([]);
    const changedInJson = new Set([
      ...changes.newRequests,
      ...changes.newResponses.map((r) => r.requestId),
      ...changes.statusChanges,
      ...changes.renamed.map((r) => r.requestId),
      ...changes.hiddenAttachments.map((r) => r.requestId),
      ...changes.hidden,
    ]);
    expect([...fetchedThreads.ids].filter((id) => !changedInJson.has(id)).sort((a, b) => a - b)).toEqual([]);
    const mustFetch = new Set([
      ...changes.newRequests,
      ...changes.newResponses.map((r) => r.requestId),
      ...changes.renamed.map((r) => r.requestId),
      ...changes.hiddenAttachments.map((r) => r.requestId),
    ]);
    expect([...mustFetch].filter((id) => !fetchedThreads.ids.has(id)).sort((a, b) => a - b)).toEqual([]);

    // The only downloads are the public attachments of the new responses, each path answered (by distinct path: a
    // masked one is asked for twice, its 302 first).
    const newAttachmentPaths = changes.newResponses.flatMap(({ requestId, incomingId }) => {
      const request = after.requests.find((r) => r.id === requestId);
      const message = request?.events.find((e) => e.kind === 'incoming' && e.id === incomingId);
      if (!message) throw new Error(`new response ${incomingId} of request ${requestId} is not in the ground truth`);
      return message.hidden ? [] : message.attachments.filter((a) => !a.hidden).map((a) => new URL(a.url).pathname);
    });
    expect(newAttachmentPaths.length).toBeGreaterThan(0);
    const downloaded = new Set(sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 200).map((entry) => entry.path.split('?')[0]!));
    expect([...downloaded].sort()).toEqual([...new Set(newAttachmentPaths)].sort());
  });

  it('would have caught an archive that stored too much or twice', { timeout: 60_000 }, async () => {
    // The checks above passing means something only if they fail on a wrong archive: this one is made wrong on purpose.
    const { runId, changes } = lastDay!;
    const rows = async (query: ReturnType<typeof sql>) => ((await test.archive.db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;
    const hiddenId = changes.hidden[0]!;
    const [hiddenMessage] = await rows(sql`update events set text = 'leaked' where id = (select min(id) from events where hidden and kind = 'incoming') returning message_id`);
    const [withheld] = await rows(sql`update attachments set sha256 = (select min(sha256) from blobs)
      where id = (select min(id) from attachments where hidden and sha256 is null) returning remote_id`);
    await rows(sql`update requests set removed_at = null where remote_id = ${hiddenId}`);
    const [twice] = await rows(sql`insert into captures (site_id, run_id, request_id, url, fetched_at, status, method, request_headers, response_headers, sha256, size, kind)
      select site_id, run_id, request_id, url, fetched_at, status, method, request_headers, response_headers, sha256, size, kind
      from captures where run_id = ${runId} order by id limit 1 returning url`);
    const [history] = await rows(sql`insert into request_history (request_id, run_id, at, change, from_value, to_value, detail)
      select request_id, run_id, at, change, from_value, to_value, detail from request_history order by id limit 1 returning request_id`);
    expect([hiddenMessage, withheld, twice, history].every(Boolean)).toBe(true);

    const options = { oncePublic: changes.hidden, oncePublicAttachments: changes.hiddenAttachments.map((h) => h.attachmentId) };
    const differences = (await differencesFromTruth(test.archive, sim.groundTruth(), options)).join('\n');
    expect(differences).toContain(`hidden incoming ${String(hiddenMessage!['message_id'])} has text "leaked"`);
    expect(differences).toContain(`withheld attachment ${String(withheld!['remote_id'])} of message`);
    expect(differences).toMatch(new RegExp(`request ${hiddenId} \\(.*\\) is no longer public but not marked removed`));
    const strangers = (await differencesFromTruth(test.archive, sim.groundTruth())).join('\n');
    expect(strangers).toMatch(new RegExp(`request ${hiddenId} \\(.*\\) is archived but was never public in this test`));
    const integrity = (await integrityProblems(test.archive, { log: sim.log, site: sim.url, runIds: [runId] })).join('\n');
    expect(integrity).toContain(`2 capture rows for ${String(twice!['url'])}`);
    expect(integrity).toMatch(/request_history row recorded 2 times/);
  });
});

/** The request each thread page path is of: by its slug before or after the day (a renamed one by either), or its id. */
function threadsOfPages(paths: string[], truths: GroundTruth[], changes: ChangeSummary): { ids: Set<number>; unknown: string[] } {
  const idOfSlug = new Map<string, number>();
  const claim = (slug: string, id: number) => {
    const known = idOfSlug.get(slug);
    if (known !== undefined && known !== id) throw new Error(`slug ${slug} names both request ${known} and request ${id}`);
    idOfSlug.set(slug, id);
  };
  for (const truth of truths) for (const request of truth.requests) claim(request.urlTitle, request.id);
  for (const rename of changes.renamed) {
    claim(rename.from, rename.requestId);
    claim(rename.to, rename.requestId);
  }
  const ids = new Set<number>();
  const unknown: string[] = [];
  for (const path of paths) {
    const slug = decodeURIComponent(path.split('?')[0]!.slice('/request/'.length));
    const id = /^\d+$/.test(slug) ? Number(slug) : idOfSlug.get(slug);
    if (id === undefined) unknown.push(path);
    else ids.add(id);
  }
  return { ids, unknown };
}
