import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARCParser } from 'warcio';
import type { Archive } from '../../storage/index.js';
import { FileBlobStore, storageKey } from '../../storage/index.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { createApp, StoredBodyMismatchError, writeWarc } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { REMOVED, seedArchive, THREAD, type Seeded } from './fixture.js';

let archive: Archive;
let cleanup: () => Promise<void>;
let seeded: Seeded;
let app: Hono;

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive);
  app = createApp(archive);
});

afterAll(async () => {
  await cleanup?.();
});

const get = (path: string, init?: RequestInit) => app.request(path, init);

describe('search page', () => {
  it('ranks the thread and the document page, highlights the words, and links the hit to the attachment page', async () => {
    const res = await get('/search?q=housing+repairs');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(`href="/request/${THREAD.urlTitle}"`);
    expect(body).toMatch(/<mark>[Hh]ousing<\/mark>/);
    expect(body).toContain(`/attachment/${seeded.pdf.attachmentId}?q=housing+repairs#page-2`);
    expect(body).toContain('page 2');
    expect(body).toContain('/export.csv?q=housing+repairs');
    expect(body).toContain('/api/search?q=housing+repairs');
  });

  it('shows facet counts as links that add the filter', async () => {
    const body = await (await get('/search?q=housing')).text();
    expect(body).toContain(`/search?q=housing&amp;authority=${THREAD.authority.urlName}`);
    expect(body).toMatch(/Camden Borough Council<\/a><span class="muted">\d+<\/span>/);
  });

  it('keeps a chosen status or file type in the form when no result has it', async () => {
    const body = await (await get('/search?q=housing&status=vexatious&type=xlsx')).text();
    expect(body).toContain('<option value="vexatious" selected>vexatious (0)</option>');
    expect(body).toContain('<option value="xlsx" selected>xlsx (0)</option>');
  });

  it('explains an impossible date instead of failing', async () => {
    const res = await get('/search?q=x&from=2024-13-45');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('is not a real date');
  });

  it('pages through results', async () => {
    const body = await (await get('/search?page=1')).text();
    expect(body).toContain('1 result');
    expect(body).not.toContain('rel="next"');
  });

  it('shows an estimated total as N+ with no last page', async () => {
    const capped = await openTestArchive({ searchExactLimit: 1 });
    try {
      await seedArchive(capped.archive);
      const body = await (await createApp(capped.archive).request('/search?q=housing')).text();
      expect(body).toContain('1+ results, page 1.');
      expect(body).not.toMatch(/page 1 of/);
    } finally {
      await capped.cleanup();
    }
  });
});

describe('request page', () => {
  it('shows the thread: authority, requester, status, messages with quoted text folded, attachments with sha256', async () => {
    const res = await get(`/request/${THREAD.urlTitle}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(THREAD.title);
    expect(body).toContain('Jane Doe');
    expect(body).toContain('Successful');
    expect(body).toContain(seeded.pdf.sha256);
    expect(body).toContain(`/attachment/${seeded.pdf.attachmentId}/download`);
    expect(body).toMatch(/<details class="quoted"><summary>Show quoted text<\/summary><div class="body">-----Original Message-----/);
    expect(body).toContain('Capture history');
  });

  it('answers by numeric id too', async () => {
    expect((await get(`/request/${THREAD.remoteId}`)).status).toBe(200);
  });

  it('links its JSON by the site id, which opens the same request', async () => {
    const body = await (await get(`/request/${THREAD.urlTitle}`)).text();
    const href = /<a href="(\/api\/request\/[^"]+)">JSON<\/a>/.exec(body)?.[1];
    expect(href).toBe(`/api/request/${THREAD.remoteId}`);
    const res = await get(href as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ urlTitle: THREAD.urlTitle, remoteId: THREAD.remoteId });
  });

  it('answers 410 with the reason for a removed request', async () => {
    const res = await get(`/request/${REMOVED.urlTitle}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain(REMOVED.reason);
    const api = await get(`/api/request/${REMOVED.urlTitle}`);
    expect(api.status).toBe(410);
    expect(await api.json()).toMatchObject({ reason: REMOVED.reason });
  });

  it('never lists a removed request in a search, in the page or the API, whatever the parameters say', async () => {
    for (const query of ['q=withdrawn', 'q=withdrawn&include_removed=1&includeRemoved=true', 'status=waiting_response&sort=date']) {
      const api = (await (await get(`/api/search?${query}`)).json()) as { hits: { urlTitle: string; removedAt?: string }[] };
      expect(api.hits.map((hit) => hit.urlTitle), query).not.toContain(REMOVED.urlTitle);
      expect(api.hits.filter((hit) => 'removedAt' in hit), query).toEqual([]);
      const page = await get(`/search?${query}`);
      expect(page.status, query).toBe(200);
      expect(await page.text(), query).not.toContain(REMOVED.urlTitle);
    }
  });

  it('answers 404 for an unknown request', async () => {
    expect((await get('/request/no_such_request')).status).toBe(404);
  });

  it('answers 404 for ids past the 32-bit range of the columns', async () => {
    for (const path of ['/request/2147483648', '/api/request/999999999999', '/capture/999999999999/snapshot.pdf', '/attachment/999999999999']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });
});

describe('attachment page and download', () => {
  it('shows the text by page with the hits highlighted, and the provenance', async () => {
    const res = await get(`/attachment/${seeded.pdf.attachmentId}?q=repairs`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('id="page-2"');
    expect(body).toMatch(/housing <mark>repairs<\/mark> grew/);
    expect(body).toContain('https://www.whatdotheyknow.com/request/4201/response/77/attach/2/repairs%20backlog.pdf');
    expect(body).toContain(seeded.pdf.sha256);
    expect(body).toContain('last-modified');
    expect(body).toContain('2024-03-02 10:00:00 UTC');
  });

  it('gives a citation naming the authority, the request on the site, the original and its sha256', async () => {
    const expected =
      `Camden Borough Council, “repairs backlog.pdf”, sent 2024-03-01, in reply to the FOI request “${THREAD.title}” ` +
      `(https://www.whatdotheyknow.com/request/${THREAD.urlTitle}). Original retrieved from ` +
      `https://www.whatdotheyknow.com/request/4201/response/77/attach/2/repairs%20backlog.pdf on 2024-03-02T10:00:00.000Z; SHA-256 ${seeded.pdf.sha256}.`;
    const body = await (await get(`/attachment/${seeded.pdf.attachmentId}`)).text();
    expect(body).toContain(`<h2 id="cite">Cite this document</h2><p class="citation">${expected.replaceAll('&', '&amp;')}</p>`);
    expect(((await (await get(`/api/attachment/${seeded.pdf.attachmentId}`)).json()) as { citation: string }).citation).toBe(expected);
  });

  it('escapes the citation like the rest of the page', async () => {
    const body = await (await get(`/attachment/${seeded.html.attachmentId}`)).text();
    const cited = /<p class="citation">([^]*?)<\/p>/.exec(body)?.[1];
    expect(cited).toContain('&lt;script&gt;');
    expect(cited).not.toContain('<script>');
  });

  it('downloads the original bytes under the original filename', async () => {
    const res = await get(`/attachment/${seeded.pdf.attachmentId}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="repairs backlog.pdf"; filename*=UTF-8''repairs%20backlog.pdf`);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(seeded.pdf.sha256);
    expect(bytes.equals(seeded.pdf.bytes)).toBe(true);
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const path = `/attachment/${seeded.pdf.attachmentId}/download`;
    for (const tag of [`"${seeded.pdf.sha256}"`, `W/"${seeded.pdf.sha256}"`, `"other", "${seeded.pdf.sha256}"`, '*']) {
      const res = await get(path, { headers: { 'If-None-Match': tag } });
      expect(res.status, tag).toBe(304);
      expect(res.headers.get('etag')).toBe(`"${seeded.pdf.sha256}"`);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await get(path, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });

  it('serves a single byte range with 206, so a download resumes where it stopped', async () => {
    const path = `/attachment/${seeded.pdf.attachmentId}/download`;
    const size = seeded.pdf.bytes.length;
    const whole = await get(path);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    await whole.arrayBuffer();

    const head = await get(path, { headers: { Range: 'bytes=0-99' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-99/${size}`);
    expect(head.headers.get('content-length')).toBe('100');
    const first = Buffer.from(await head.arrayBuffer());
    const tail = await get(path, { headers: { Range: 'bytes=100-', 'If-Range': `"${seeded.pdf.sha256}"` } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes 100-${size - 1}/${size}`);
    const resumed = Buffer.concat([first, Buffer.from(await tail.arrayBuffer())]);
    expect(createHash('sha256').update(resumed).digest('hex')).toBe(seeded.pdf.sha256);

    const suffix = await get(path, { headers: { Range: 'bytes=-10' } });
    expect(suffix.headers.get('content-range')).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(seeded.pdf.bytes.subarray(size - 10))).toBe(true);
    const pastEnd = await get(path, { headers: { Range: `bytes=10-${size + 1000}` } });
    expect(pastEnd.headers.get('content-range')).toBe(`bytes 10-${size - 1}/${size}`);
    await pastEnd.arrayBuffer();
  });

  it('answers 416 to a range past the end, and the whole file to several ranges or an If-Range for other content', async () => {
    const path = `/attachment/${seeded.pdf.attachmentId}/download`;
    const size = seeded.pdf.bytes.length;
    for (const range of [`bytes=${size}-`, 'bytes=99999999999999999999-', 'bytes=-0']) {
      const res = await get(path, { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe(`bytes */${size}`);
    }
    const cases: Record<string, string>[] = [{ Range: 'bytes=0-1,5-6' }, { Range: 'bytes=0-9', 'If-Range': '"not-this-content"' }, { Range: 'pages=1' }];
    for (const headers of cases) {
      const res = await get(path, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(seeded.pdf.bytes)).toBe(true);
    }
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await get(`/attachment/${seeded.pdf.attachmentId}/download`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(seeded.pdf.bytes.length));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('finds an attachment by its sha256', async () => {
    const res = await get(`/api/attachment/${seeded.pdf.sha256}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sha256: seeded.pdf.sha256, downloadUrl: expect.stringContaining('/download') });
  });
});

describe('authority and runs pages', () => {
  it("lists an authority's requests with counts by status", async () => {
    const body = await (await get(`/authority/${THREAD.authority.urlName}`)).text();
    expect(body).toContain(THREAD.authority.name);
    expect(body).toContain(THREAD.title);
    expect(body).not.toContain('withdrawn');
    expect(body).toMatch(/successful<\/a><\/td><td>1</i);
  });

  it('lists runs with their scope, time taken and main counters, and every counter on demand', async () => {
    const runId = await archive.runs.start({ recent: true, recheck: 1000 });
    const counters = { requests: 3, notModified: 1, attachments: 2, attachmentBytes: 2048, newRequests: 1, changedRequests: 4 };
    await archive.runs.finish(runId, 'ok', counters);
    const body = await (await get('/runs')).text();
    const row = body.slice(body.indexOf(`<td>${runId}</td>`), body.indexOf('</details>', body.indexOf(`<td>${runId}</td>`)));
    expect(row).toContain('<td>recent recheck 1000</td>');
    expect(row).toMatch(/<td>\d+ s<\/td>/);
    expect(row).toContain('<td>3 (1 not modified)</td>');
    expect(row).toContain('<td>1 new, 4 changed, 0 removed</td>');
    expect(row).toContain('<td>2 (2.0 KB)</td>');
    expect(row).toContain('<tr><th>attachmentBytes</th><td>2048</td></tr>');
    const api = (await (await get('/api/runs')).json()) as { runs: { id: number; counters: Record<string, number> }[] };
    expect(api.runs.find((r) => r.id === runId)?.counters).toEqual(counters);
  });

  it('gives a run whose process died as interrupted, as the next crawl records it', async () => {
    // Started and never finished, with no crawl holding the run lock: its process was killed outright.
    const runId = await archive.runs.start({ all: true });
    const body = await (await get('/runs')).text();
    const row = body.slice(body.indexOf(`<td>${runId}</td>`));
    expect(row).toMatch(/^<td>\d+<\/td>\s*<td>all<\/td>\s*<td>[^<]+<\/td>\s*<td>not ended<\/td>\s*<td>interrupted<div class="muted">the process ended without finishing the run<\/div><\/td>/);
    const api = (await (await get('/api/runs')).json()) as { runs: { id: number; outcome: string; error: string | null }[] };
    expect(api.runs.find((r) => r.id === runId)).toMatchObject({ outcome: 'interrupted', error: 'the process ended without finishing the run' });

    const release = await archive.lockRuns();
    try {
      const running = (await (await get('/api/runs')).json()) as { runs: { id: number; outcome: string }[] };
      expect(running.runs.find((r) => r.id === runId)?.outcome).toBe('running');
    } finally {
      await release!();
    }
    await archive.runs.finish(runId, 'interrupted', {});
  });
});

describe('JSON API', () => {
  it('searches with filters and paging', async () => {
    const res = await get(`/api/search?q=backlog&authority=${THREAD.authority.urlName}&limit=1`);
    const body = (await res.json()) as { total: number; limit: number; hits: { urlTitle: string; snippetParts: unknown[] }[] };
    expect(body.total).toBeGreaterThanOrEqual(2);
    expect(body.limit).toBe(1);
    expect(body.hits).toHaveLength(1);
    expect(body.hits[0]?.urlTitle).toBe(THREAD.urlTitle);
  });

  it('rejects a limit past the cap with a 400 and a message', async () => {
    const res = await get('/api/search?limit=100000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining('limit') });
  });

  it('gives a request with its events, attachments and captures', async () => {
    const body = (await (await get(`/api/request/${THREAD.urlTitle}`)).json()) as { events: unknown[]; attachments: unknown[]; captures: unknown[] };
    expect(body.events).toHaveLength(2);
    expect(body.attachments).toHaveLength(2);
    expect(body.captures.length).toBeGreaterThanOrEqual(1);
  });

  it('gives the text of an attachment page by page', async () => {
    const body = (await (await get(`/api/attachment/${seeded.pdf.attachmentId}/text`)).json()) as { pages: { number: number; text: string }[] };
    expect(body.pages.map((p) => p.number)).toEqual([1, 2]);
    expect(body.pages[1]?.text).toContain('4,312 cases');
  });

  it('gives an authority with status counts', async () => {
    const body = (await (await get(`/api/authority/${THREAD.authority.urlName}`)).json()) as { total: number; statusCounts: { key: string; count: number }[] };
    expect(body.total).toBe(1);
    expect(body.statusCounts).toContainEqual(expect.objectContaining({ key: 'successful', count: 1 }));
  });

  it('filters by type as the OpenAPI document says: document hits with words, request hits without', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: { '/api/search': { get: { parameters: { name: string; description: string }[] } } } };
    const described = doc.paths['/api/search'].get.parameters.find((p) => p.name === 'type')?.description;
    expect(described).toContain('With q: only document hits of that type. Without q: request hits');
    const kinds = async (query: string) => ((await (await get(`/api/search?${query}`)).json()) as { hits: { kind: string }[] }).hits.map((h) => h.kind);
    expect(await kinds('type=pdf&q=backlog')).toEqual(['document']);
    expect(await kinds('type=pdf')).toEqual(['request']);
    expect(await kinds('type=docx')).toEqual([]);
  });

  it('serves an OpenAPI 3.1 document listing every API path', async () => {
    const res = await get('/api/openapi.json');
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/search', '/api/request/{idOrSlug}', '/api/attachment/{idOrSha256}', '/api/authority/{urlName}', '/api/runs']) {
      expect(doc.paths).toHaveProperty([path]);
    }
    for (const [path, item] of Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/'))) {
      const responses = (item as { get: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }).get.responses;
      for (const status of ['401', '405', '500']) expect(responses, `${path} ${status}`).toHaveProperty([status]);
      for (const [status, response] of Object.entries(responses).filter(([status]) => Number(status) >= 400)) {
        expect(response.content?.['application/json']?.schema, `${path} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });
});

describe('exports', () => {
  it('streams the whole result set as CSV with a header row', async () => {
    const res = await get('/export.csv?q=housing');
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = parseCsv(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['request', 'document']));
    expect(rows.find((r) => r.kind === 'document')?.attachment_sha256).toBe(seeded.pdf.sha256);
  });

  it('streams JSON Lines, one object per hit', async () => {
    const text = await (await get('/export.jsonl?q=housing')).text();
    const rows = text.trim().split('\n').map((line) => JSON.parse(line) as { urlTitle: string });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.urlTitle === THREAD.urlTitle)).toBe(true);
  });
});

describe('WARC export', () => {
  it('writes request, response and metadata records that a WARC reader reads back with matching digests', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const { records } = await writeWarc(archive, { authority: THREAD.authority.urlName }, out);
    out.end();
    const warc = Buffer.concat(chunks);

    const seen: { type: string; uri: string | null | undefined; payload: Buffer }[] = [];
    // Read without HTTP parsing, so the block is exactly the bytes the digests were computed over.
    for await (const record of new WARCParser([warc], { parseHttp: false })) {
      const block = Buffer.from(await record.readFully(false));
      expect(block.length).toBe(record.warcContentLength);
      const hasHttp = record.warcType === 'request' || record.warcType === 'response';
      const payload = hasHttp ? block.subarray(block.indexOf('\r\n\r\n') + 4) : block;
      if (record.warcType !== 'warcinfo') {
        expect(record.warcBlockDigest).toBe(`sha256:${createHash('sha256').update(block).digest('hex')}`);
        expect(record.warcPayloadDigest).toBe(`sha256:${createHash('sha256').update(payload).digest('hex')}`);
      }
      seen.push({ type: record.warcType, uri: record.warcTargetURI, payload });
    }
    expect(seen[0]?.type).toBe('warcinfo');
    expect(seen).toHaveLength(records);
    const pdfResponse = seen.find((r) => r.type === 'response' && r.uri?.endsWith('repairs%20backlog.pdf'));
    expect(pdfResponse?.payload.equals(seeded.pdf.bytes)).toBe(true);
    const types = seen.map((r) => r.type);
    expect(types.filter((t) => t === 'response')).toHaveLength(3);
    expect(types.filter((t) => t === 'request')).toHaveLength(3);
    expect(types.filter((t) => t === 'metadata')).toHaveLength(3);
  });
});

describe('WARC export of altered originals', () => {
  let own: Awaited<ReturnType<typeof openTestArchive>>;
  let ownSeeded: Seeded;
  beforeAll(async () => {
    own = await openTestArchive();
    ownSeeded = await seedArchive(own.archive);
  });
  afterAll(async () => {
    await own?.cleanup();
  });

  const replaceStored = async (sha256: string, bytes: Buffer) => {
    const store = own.archive.blobs;
    if (store instanceof FileBlobStore) await writeFile(path.join(store.root, ...storageKey(sha256).split('/')), bytes);
    else if (store instanceof S3BlobStore) await store.client.putObject(store.bucket, storageKey(sha256), bytes);
  };

  it.each([
    ['cut short', (bytes: Buffer) => bytes.subarray(0, bytes.length - 100)],
    ['with its last byte changed', (bytes: Buffer) => Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from('!')])],
  ])('fails on an original stored %s, naming its capture, and writes no response record of it', async (_how, alter) => {
    const { bytes, sha256 } = ownSeeded.pdf;
    await replaceStored(sha256, alter(bytes));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const failure = await writeWarc(own.archive, { authority: THREAD.authority.urlName }, out).catch((error: unknown) => error);
    await replaceStored(sha256, bytes);
    expect(failure).toBeInstanceOf(StoredBodyMismatchError);
    expect((failure as Error).message).toMatch(/^capture \d+ \(\S+repairs%20backlog\.pdf\): its stored body \(\d+ bytes, sha256 [0-9a-f]{64}\) is not the one recorded/);
    const responses: (string | null | undefined)[] = [];
    for await (const record of new WARCParser([Buffer.concat(chunks)])) {
      if (record.warcType === 'response') responses.push(record.warcTargetURI);
      await record.readFully(false);
    }
    expect(responses.some((uri) => uri?.endsWith('repairs%20backlog.pdf'))).toBe(false);
  });
});

describe('query parameters', () => {
  it('refuse a NUL character in any text with a 400 that says so', async () => {
    for (const path of ['/api/search?q=a%00b', '/api/search?authority=a%00', '/api/search?status=%00']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(await res.json(), path).toMatchObject({ error: expect.stringContaining('NUL character') });
    }
    for (const path of ['/search?q=a%00', `/attachment/${seeded.pdf.attachmentId}?q=a%00b`, '/export.csv?q=a%00', `/authority/${THREAD.authority.urlName}?page=1%00`]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toContain('text/html');
    }
  });

  it('take numbers in plain decimal digits within bounds, and refuse anything else with a 400 saying what is accepted', async () => {
    const refused = ['offset=99999999999999999999', 'offset=1e21', 'offset=9007199254740993', 'offset=1e3', 'offset=-1', 'limit=0x10', 'limit=%205', 'limit=0', 'page=2.0'];
    for (const param of refused) {
      const res = await get(`/api/search?${param}`);
      expect(res.status, param).toBe(400);
      expect(await res.json(), param).toMatchObject({ error: expect.stringMatching(/takes a whole number from \d+ to \d+ in plain digits/) });
    }
    const runs = await get('/api/runs?limit=0x10');
    expect(runs.status).toBe(400);
    expect(await runs.json()).toMatchObject({ error: expect.stringContaining('plain digits') });
    const accepted = (await (await get('/api/search?q=housing&offset=1&limit=2')).json()) as { offset: number; limit: number };
    expect(accepted).toMatchObject({ offset: 1, limit: 2 });
  });

  it('refuse a date that is not on the calendar instead of moving it', async () => {
    for (const param of ['from=2024-02-30', 'to=2023-02-29', 'from=2024-04-31', 'from=2024-13-01']) {
      const res = await get(`/api/search?${param}`);
      expect(res.status, param).toBe(400);
      expect(await res.json(), param).toMatchObject({ error: expect.stringContaining('is not a real date') });
    }
    expect((await get('/api/search?from=2024-02-29&to=2024-12-31')).status).toBe(200);
  });
});

describe('search page paging', () => {
  it('keeps the page size in its links, and its next page follows on from this one', async () => {
    const first = await (await get('/search?q=housing&limit=1')).text();
    expect(first).toContain('page 1 of');
    const next = /<a rel="next" href="([^"]+)"/.exec(first)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBe('/search?q=housing&limit=1&page=2');
    const second = await (await get(next as string)).text();
    expect(second).toContain('page 2 of');
    expect(second).toMatch(/<ol class="hits"><li class="hit [a-z]+">/);
    expect(second.match(/<li class="hit /g)).toHaveLength(1);
    expect(/<a rel="prev" href="([^"]+)"/.exec(second)?.[1]).toBe('/search?q=housing&amp;limit=1&amp;page=1');
    expect(second).toContain('href="/export.csv?q=housing"');
  });

  it('refuses an offset, which its page count would contradict, and says to use page', async () => {
    const res = await get('/search?offset=100');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('page=N');
  });
});
