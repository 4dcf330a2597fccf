import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, FetchFailedError, PoliteFetcher, type ResponseRecord, type RetryEvent } from '../../crawler/http/index.js';
import { robotsRoute, startTestServer, WDTK_ROBOTS, type Route, type TestServer } from './test-server.js';

const MiB = 1024 * 1024;
const ATTACHMENT = '/request/x/response/1/attach/2/report.pdf';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'content-coding-'));
});
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function setUp(routes: Record<string, Route>, maxBodyBytes?: number): Promise<{ records: ResponseRecord[]; retries: RetryEvent[] }> {
  server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), ...routes });
  const records: ResponseRecord[] = [];
  const retries: RetryEvent[] = [];
  fetcher = new PoliteFetcher({
    baseUrl: server.url,
    ratePerSecond: 50,
    backoff: { baseMs: 5, maxMs: 20 },
    onResponse: (record) => void records.push(record),
    onRetry: (event) => void retries.push(event),
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
  return { records, retries };
}

/** Sends `coded` as the body, declared in Content-Length, with this Content-Encoding. */
function coded(body: Buffer, encoding: string, headers: Record<string, string> = {}): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-encoding': encoding, 'content-length': body.length, ...headers });
    res.end(body);
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ATTACHMENT_HEADERS = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="report.pdf"' };

describe('compression the fetcher asks for', () => {
  it('is gzip or brotli for robots.txt, pages and JSON; an attachment is asked for as it is', async () => {
    const page = Buffer.from(`<html><body>${'Dear Council, '.repeat(100)}</body></html>`);
    await setUp({
      '/request/x': coded(gzipSync(page), 'gzip', { 'content-type': 'text/html; charset=utf-8' }),
      [ATTACHMENT]: (_req, res) => void res.writeHead(200, ATTACHMENT_HEADERS).end('%PDF-1.4'),
    });
    expect((await fetcher!.get('/request/x')).body).toEqual(page);
    await fetcher!.download(ATTACHMENT, join(dir, 'report.pdf'));
    expect(server!.log.map((entry) => [entry.path, entry.headers['accept-encoding']])).toEqual([
      ['/robots.txt', 'gzip, br'],
      ['/request/x', 'gzip, br'],
      [ATTACHMENT, undefined],
    ]);
  });
});

describe('a body the site sends content-coded, asked for or not', () => {
  it('is read decoded, a page and JSON alike, with the coded bytes counted as received', async () => {
    const page = Buffer.from(`<html><body><div id="request_header">${'Décision café. '.repeat(200)}</div></body></html>`);
    const json = Buffer.from(JSON.stringify({ id: 1, url_title: 'x', title: 'Décision' }));
    const gzipped = gzipSync(page);
    const { records } = await setUp({
      '/request/x?unfold=1': coded(gzipped, 'gzip', { 'content-type': 'text/html; charset=utf-8' }),
      '/request/x.json': coded(brotliCompressSync(json), 'br', { 'content-type': 'application/json' }),
    });
    expect((await fetcher!.get('/request/x?unfold=1')).text()).toBe(page.toString());
    expect((await fetcher!.get('/request/x.json', { expectType: /\bjson\b/ })).body).toEqual(json);
    expect(records.find((record) => record.url.endsWith('unfold=1'))?.bytes).toBe(gzipped.length);
  });

  it('is downloaded decoded, streamed to the file, with the size and sha256 of the decoded bytes', async () => {
    const small = randomBytes(4096);
    const large = Buffer.concat([randomBytes(MiB), Buffer.alloc(2 * MiB, 7)]);
    await setUp({
      [ATTACHMENT]: coded(gzipSync(small), 'gzip', ATTACHMENT_HEADERS),
      '/request/x/response/1/attach/3/large.pdf': coded(gzipSync(large), 'x-gzip', ATTACHMENT_HEADERS),
    });
    for (const [url, expected] of [
      [ATTACHMENT, small],
      ['/request/x/response/1/attach/3/large.pdf', large],
    ] as const) {
      const dest = join(dir, expected.length.toString());
      const download = await fetcher!.download(url, dest, { expectAttachment: true });
      expect(download.body).toEqual({ path: dest });
      expect(download.size).toBe(expected.length);
      expect(download.sha256).toBe(sha256(expected));
      expect((await readFile(dest)).equals(expected)).toBe(true);
    }
  });

  it('is refused once it decodes past the limit, a small coded body that would decode into a huge one', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB));
    expect(bomb.length).toBeLessThan(MiB / 4);
    await setUp({ '/request/x?unfold=1': coded(bomb, 'gzip', { 'content-type': 'text/html' }), [ATTACHMENT]: coded(bomb, 'gzip', ATTACHMENT_HEADERS) }, 8 * MiB);
    await expect(fetcher!.get('/request/x?unfold=1')).rejects.toThrow(BodyTooLargeError);
    await expect(fetcher!.download(ATTACHMENT, join(dir, 'bomb'))).rejects.toThrow(BodyTooLargeError);
    expect(existsSync(join(dir, 'bomb'))).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is asked for again when the coded bytes do not decode, as a body cut short', async () => {
    const page = Buffer.from('<html><body><div id="request_header">whole</div></body></html>');
    const cut = gzipSync(page).subarray(0, 20);
    const { retries } = await setUp({
      '/request/x?unfold=1': (req, res, hit) => coded(hit === 1 ? cut : gzipSync(page), 'gzip', { 'content-type': 'text/html' })(req, res, hit),
    });
    expect((await fetcher!.get('/request/x?unfold=1')).text()).toBe(page.toString());
    expect(retries.map((retry) => retry.reason)).toEqual(['truncated']);
  });

  it('is no body at all when empty or not modified, whatever coding it names', async () => {
    await setUp({
      '/request/x.json': (req, res) => {
        res.writeHead(req.headers['if-none-match'] ? 304 : 200, { 'content-encoding': 'gzip', 'content-length': 0, etag: '"1"' });
        res.end();
      },
    });
    expect((await fetcher!.get('/request/x.json')).body).toEqual(Buffer.alloc(0));
    expect((await fetcher!.get('/request/x.json', { conditional: { etag: '"1"' } })).notModified).toBe(true);
  });

  it('is asked for again when brotli-coded bytes are garbled', async () => {
    const json = Buffer.from('{"id":1}');
    const { retries } = await setUp({
      '/request/x.json': (req, res, hit) => coded(hit === 1 ? Buffer.from('garbage data here') : brotliCompressSync(json), 'br')(req, res, hit),
    });
    expect((await fetcher!.get('/request/x.json')).body).toEqual(json);
    expect(retries.map((retry) => retry.reason)).toEqual(['truncated']);
  });

  it('fails, saying so, in a coding that cannot be decoded', async () => {
    await setUp({ '/request/x?unfold=1': coded(Buffer.from('?'), 'compress', { 'content-type': 'text/html' }) });
    const failure = fetcher!.get('/request/x?unfold=1');
    await expect(failure).rejects.toThrow(FetchFailedError);
    await expect(failure).rejects.toThrow('came with Content-Encoding compress, which cannot be decoded');
  });
});
