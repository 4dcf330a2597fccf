import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Snapshotter } from '../../crawler/index.js';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type GroundTruthRequest, type Simulator } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';

let archive: Archive;
let cleanup: () => Promise<void>;
let simulator: Simulator;
let thread: GroundTruthRequest;

beforeAll(async () => {
  simulator = await startSimulator({ seed: 11, requests: 12, maskingMs: 0 });
  // A public thread with a downloadable attachment: the journalist's case.
  const candidates = simulator
    .groundTruth()
    .requests.filter((r) => r.prominence === 'normal' && r.events.some((e) => !e.hidden && e.attachments.some((a) => !a.hidden)));
  const chosen = candidates[0];
  if (!chosen) throw new Error('the simulator generated no public thread with an attachment');
  thread = chosen;
  ({ archive, cleanup } = await openTestArchive());
});

afterAll(async () => {
  await cleanup?.();
  await simulator?.close();
});

describe('a thread crawled from the simulator', () => {
  it('is served by the web app with its original attachment, and its snapshot rendered without touching the site', async () => {
    const snapshotter = new Snapshotter();
    const snapshots: { captureId: number; pdfSha256: string; blockedRequests: string[] }[] = [];
    try {
      const summary = await runCrawl(archive, {
        site: simulator.url,
        scope: { requests: [thread.urlTitle] },
        ratePerSecond: 50,
        snapshot: async (a, captureId) => snapshots.push(await snapshotter.snapshot(a, captureId)),
      });
      expect(summary.outcome).toBe('ok');
    } finally {
      await snapshotter.close();
    }

    // Every request the site saw came from the crawler; the browser rendering the snapshots sent none.
    expect(simulator.log.length).toBeGreaterThan(0);
    expect(simulator.log.filter((entry) => !entry.userAgent.startsWith('wdtk-archive/'))).toEqual([]);
    expect(snapshots.length).toBeGreaterThan(0);

    const app = createApp(archive);
    const page = await app.request(`/request/${thread.urlTitle}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const escapedTitle = thread.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    expect(html).toContain(escapedTitle);

    const detail = await archive.getRequest(thread.urlTitle);
    const expected = thread.events.flatMap((e) => (e.hidden ? [] : e.attachments.filter((a) => !a.hidden)));
    const held = detail?.attachments.filter((a) => a.sha256) ?? [];
    expect(held.length).toBeGreaterThan(0);
    for (const attachment of held) {
      const truth = expected.find((a) => a.sha256 === attachment.sha256);
      expect(truth, attachment.filename ?? '').toBeDefined();
      const download = await app.request(`/attachment/${attachment.id}/download`);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(truth?.sha256);
    }

    const pdf = await buffer(await archive.blobs.get(snapshots[0]!.pdfSha256));
    const parser = new PDFParse({ data: new Uint8Array(pdf) });
    try {
      expect((await parser.getText()).text.replace(/\s+/g, ' ')).toContain(thread.title.replace(/\s+/g, ' '));
    } finally {
      await parser.destroy();
    }
  });
});
