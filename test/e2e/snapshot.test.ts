import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestPageCapture, Snapshotter, snapshotCapture } from '../../crawler/index.js';
import { OriginalsInUseError, schema, type Archive } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { seedArchive, THREAD, type Seeded } from '../web/fixture.js';

let archive: Archive;
let cleanup: () => Promise<void>;
let seeded: Seeded;
// Stands in for the original site: the stored page links its stylesheet, script and logo here.
let origin: Server;
let originUrl: string;
const originLog: string[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    originLog.push(`${req.method} ${req.url}`);
    res.end('body { background: red }');
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive, originUrl);
});

afterAll(async () => {
  await cleanup?.();
  await new Promise((resolve) => origin?.close(resolve));
});

describe('page snapshots', () => {
  it('renders the stored thread to a PDF with its title and a PNG, with every request blocked', async () => {
    expect(await latestPageCapture(archive, seeded.requestId)).toBe(seeded.pageCaptureId);
    const result = await snapshotCapture(archive, seeded.pageCaptureId);

    const pdf = await buffer(await archive.blobs.get(result.pdfSha256));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const parser = new PDFParse({ data: new Uint8Array(pdf) });
    try {
      expect((await parser.getText()).text).toContain(THREAD.title);
    } finally {
      await parser.destroy();
    }
    const png = await buffer(await archive.blobs.get(result.pngSha256));
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    // The page asked for its stylesheet and logo; each was stopped inside the browser, none reached the site.
    expect(result.blockedRequests).toEqual(expect.arrayContaining([`${originUrl}/assets/application.css`, `${originUrl}/assets/logo.png`]));
    expect(originLog).toEqual([]);
  });

  it('refuses beside a purge or verify --remove-unindexed, and stores nothing', async () => {
    const before = await archive.db.$count(schema.blobs);
    const remover = (await archive.lockOriginals('remove'))!;
    try {
      await expect(snapshotCapture(archive, seeded.pageCaptureId)).rejects.toBeInstanceOf(OriginalsInUseError);
    } finally {
      await remover();
    }
    expect(await archive.db.$count(schema.blobs)).toBe(before);
  });

  it('links the snapshot from the capture, and the request page offers it', async () => {
    const snapshotter = new Snapshotter();
    const result = await snapshotter.snapshot(archive, seeded.pageCaptureId).finally(() => snapshotter.close());
    const request = await archive.getRequest(THREAD.urlTitle);
    const capture = request?.captures.find((c) => c.id === seeded.pageCaptureId);
    expect(capture?.snapshotPdfSha256).toBe(result.pdfSha256);
    expect(capture?.snapshotPngSha256).toBe(result.pngSha256);

    const app = createApp(archive);
    const page = await (await app.request(`/request/${THREAD.urlTitle}`)).text();
    expect(page).toContain(`/capture/${seeded.pageCaptureId}/snapshot.pdf`);
    const res = await app.request(`/capture/${seeded.pageCaptureId}/snapshot.pdf`);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('x-content-sha256')).toBe(result.pdfSha256);
    expect(originLog).toEqual([]);
  });
});
