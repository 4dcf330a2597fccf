import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, MaskingPendingError, PoliteFetcher, type RetryEvent } from '../../crawler/http/index.js';
import { exposeGarbageCollector } from '../helpers/gc.js';
import { robotsRoute, startTestServer, text, WDTK_ROBOTS, type Route, type TestServer } from './test-server.js';

const MiB = 1024 * 1024;
const ATTACHMENT = '/request/x/response/1/attach/2/big.pdf';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crawler-http-'));
});
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Writes `totalBytes` of varied data with backpressure and resolves to its sha256. */
async function streamBody(res: ServerResponse, totalBytes: number, options: { contentLength: boolean }): Promise<string> {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  res.writeHead(200, { 'content-type': 'application/pdf', ...(options.contentLength ? { 'content-length': totalBytes } : {}) });
  for (let sent = 0, round = 0; sent < totalBytes; round++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(MiB, totalBytes - sent)));
    chunk[0] = round & 0xff;
    hash.update(chunk);
    sent += chunk.length;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
  return hash.digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function setUp(routes: Record<string, Route>, maxBodyBytes?: number): Promise<{ retries: RetryEvent[] }> {
  server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), ...routes });
  const retries: RetryEvent[] = [];
  fetcher = new PoliteFetcher({
    baseUrl: server.url,
    ratePerSecond: 50,
    backoff: { baseMs: 5, maxMs: 20 },
    onRetry: (event) => void retries.push(event),
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
  return { retries };
}

describe('download', () => {
  it('streams a 50 MB body to disk with the right sha256 in bounded memory', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./big-body-server.mjs', import.meta.url)), String(50 * MiB)]);
    try {
      const lines = createInterface({ input: child.stdout });
      const output = lines[Symbol.asyncIterator]();
      const port = /^PORT (\d+)$/.exec(String((await output.next()).value))?.[1];
      fetcher = new PoliteFetcher({ baseUrl: `http://127.0.0.1:${port}`, ratePerSecond: 50 });
      const dest = join(dir, 'big.pdf');
      // Collect garbage before each sample so what is measured is what the download keeps alive.
      const gc = exposeGarbageCollector();
      gc();
      const baseline = process.memoryUsage().arrayBuffers;
      let peakLive = 0;
      const sampler = setInterval(() => {
        gc();
        peakLive = Math.max(peakLive, process.memoryUsage().arrayBuffers - baseline);
      }, 100);
      const file = await fetcher.download(ATTACHMENT, dest).finally(() => clearInterval(sampler));
      gc();
      peakLive = Math.max(peakLive, process.memoryUsage().arrayBuffers - baseline);
      const servedSha = /^SHA ([0-9a-f]{64})$/.exec(String((await output.next()).value))?.[1];

      expect(file.status).toBe(200);
      expect(file.size).toBe(50 * MiB);
      expect(file.sha256).toBe(servedSha);
      expect(await sha256OfFile(dest)).toBe(servedSha);
      expect(existsSync(`${dest}.part`)).toBe(false);
      // Holding the body keeps 50 MiB alive; streaming measured under 1 MiB (a few 64 KiB chunks), with two
      // CPU hogs running too.
      expect(peakLive).toBeLessThan(8 * MiB);
    } finally {
      child.kill();
    }
  });

  it('retries a page served with 200 in place of the attachment, and never hands it back as the file', async () => {
    const body = randomBytes(20_000);
    const { retries } = await setUp({
      [ATTACHMENT]: (_req, res, hit) => {
        if (hit < 3) return text(res, 200, '<html><head><title>Down for maintenance</title></head><body>Back soon</body></html>');
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="big.pdf"', 'content-length': body.length });
        res.end(body);
      },
    });
    const file = await fetcher!.download(ATTACHMENT, join(dir, 'a.pdf'), { expectAttachment: true });
    expect(file.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(retries.map((event) => `${event.reason}: ${event.wrongAnswer}`)).toEqual(
      Array(2).fill('wrong-type: Content-Type text/html; charset=utf-8 without Content-Disposition, not an attachment download'),
    );
  });

  it("still tells the site's masking page apart from a page in the attachment's place", async () => {
    await setUp({ [ATTACHMENT]: (_req, res) => text(res, 200, '<html><body><h1>Attachment processing…</h1></body></html>') });
    await expect(fetcher!.download(ATTACHMENT, join(dir, 'a.pdf'), { expectAttachment: true })).rejects.toBeInstanceOf(MaskingPendingError);
    expect(server!.hits(ATTACHMENT)).toHaveLength(1);
  });

  it('retries a truncated download from the start and ends with the whole file', async () => {
    const body = randomBytes(300_000);
    const { retries } = await setUp({
      [ATTACHMENT]: (req, res, hit) => {
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': body.length });
        if (hit > 1) return void res.end(body);
        res.write(body.subarray(0, 100_000), () => setTimeout(() => req.socket.destroy(), 10));
      },
    });
    const dest = join(dir, 'a.pdf');
    const file = await fetcher!.download(ATTACHMENT, dest);
    expect(retries.map((event) => event.reason)).toEqual(['truncated']);
    expect(file.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    // Declared under 1 MiB: held in memory, nothing written.
    expect(file.body).toEqual(body);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('streams a body of unknown length to the file even when it is small', async () => {
    const body = randomBytes(5_000);
    await setUp({
      [ATTACHMENT]: (_req, res) => {
        // write() before end(): chunked, no Content-Length.
        res.writeHead(200, { 'content-type': 'application/pdf' });
        res.write(body);
        res.end();
      },
    });
    const dest = join(dir, 'small.pdf');
    const file = await fetcher!.download(ATTACHMENT, dest);
    expect(file.body).toEqual({ path: dest });
    expect(await readFile(dest)).toEqual(body);
    expect(file.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('refuses a body declared larger than the limit and leaves no file', async () => {
    await setUp({ [ATTACHMENT]: (_req, res) => void streamBody(res, 3 * MiB, { contentLength: true }).catch(() => undefined) }, MiB);
    const dest = join(dir, 'big.pdf');
    await expect(fetcher!.download(ATTACHMENT, dest)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(server!.hits(ATTACHMENT)).toHaveLength(1);
  });

  it('stops a chunked body once it passes the limit and removes the partial file', async () => {
    await setUp({ [ATTACHMENT]: (_req, res) => void streamBody(res, 3 * MiB, { contentLength: false }).catch(() => undefined) }, MiB);
    const dest = join(dir, 'big.pdf');
    await expect(fetcher!.download(ATTACHMENT, dest)).rejects.toThrow(/larger than the 1048576-byte limit/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    await expect(fetcher!.get(ATTACHMENT)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('hands back the body of a removed attachment and reports its status', async () => {
    await setUp({ [ATTACHMENT]: (_req, res) => text(res, 403, '<h1>Attachment has been removed</h1>') });
    const file = await fetcher!.download(ATTACHMENT, join(dir, 'gone.pdf'));
    expect(file.status).toBe(403);
    expect(String(file.body)).toBe('<h1>Attachment has been removed</h1>');
    expect(file.size).toBe(36);
  });
});
