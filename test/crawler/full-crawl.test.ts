import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl, type CrawlSummary } from '../../crawler/index.js';
import { startSimulator, type ChangeSummary, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath, isThreadPagePath, requestGaps, robotsViolations } from './helpers.js';

// The whole simulated site, three nightly runs in a row: first crawl, no change, one simulated day.
// 120 requests keeps this file near a minute on two cores; WDTK_TEST_SITE_SIZE=200 runs the full size (about 3 min).
const SITE_SIZE = Number(process.env['WDTK_TEST_SITE_SIZE'] ?? 120);
const RATE = 200;

describe(`a full crawl of a ${SITE_SIZE}-request site`, () => {
  let sim: Simulator;
  let test: TestArchive;
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
    expect(await integrityProblems(test.archive)).toEqual([]);

    const attachments = truth.requests.flatMap((r) => r.events.flatMap((e) => e.attachments.filter((a) => !a.hidden)));
    expect(attachments.length).toBeGreaterThan(100);
    expect(summary.counters.newRequests).toBe(truth.requests.length);
    expect(summary.counters.maskingRequeued).toBeGreaterThan(0);

    expect(robotsViolations(sim.log, sim.url)).toEqual([]);
    // Nothing of a withheld attachment or message is ever asked for: their URLs answer 403.
    expect(sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 403)).toEqual([]);
    expect(new Set(sim.log.map((entry) => entry.userAgent))).toEqual(new Set(['wdtk-archive/0.1.0 (+local-test)']));
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

  it('picks up exactly the changes of a simulated day: new threads, responses, a removal, a rename', { timeout: 180_000 }, async () => {
    const changes: ChangeSummary = sim.advance(1);
    expect(changes.hidden.length).toBeGreaterThan(0);
    expect(changes.renamed.length).toBeGreaterThan(0);
    sim.clearLog();
    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(test.archive)).toEqual([]);

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
    // Unchanged threads cost one JSON request each; only changed ones are fetched as pages.
    const pagesFetched = new Set(sim.log.filter((entry) => isThreadPagePath(entry.path)).map((entry) => entry.path));
    const touched = new Set([
      ...changes.newRequests,
      ...changes.newResponses.map((r) => r.requestId),
      ...changes.statusChanges,
      ...changes.renamed.map((r) => r.requestId),
      ...changes.hiddenAttachments.map((r) => r.requestId),
    ]);
    expect(pagesFetched.size).toBeLessThanOrEqual(touched.size);
    expect(summary.counters.newRequests).toBe(changes.newRequests.length);
  });
});
