import { request as httpRequest } from 'node:http';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { CONTENT_SECURITY_POLICY, createApp, serve } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { EVIL_HTML, seedArchive, THREAD, type Seeded } from './fixture.js';

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

/** A raw HTTP GET that sends the path byte for byte (fetch would resolve dot segments first). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('user content is text, never markup', () => {
  it('renders a filename and a message containing <script> escaped', async () => {
    const body = await (await app.request(`/request/${THREAD.urlTitle}`)).text();
    expect(body).not.toContain('<script>');
    expect(body).not.toContain('<img src=x');
    expect(body).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;.html');
    expect(body).toContain('&lt;script&gt;alert(&quot;message&quot;)&lt;/script&gt;');
    const attachmentPage = await (await app.request(`/attachment/${seeded.html.attachmentId}`)).text();
    expect(attachmentPage).not.toContain('<script>');
  });

  it('downloads an HTML attachment instead of rendering it', async () => {
    const res = await app.request(`/attachment/${seeded.html.attachmentId}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="_script_alert\(_name_\)__script_.html"; filename\*=UTF-8''/);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await res.text()).toBe(EVIL_HTML);
  });

  it('puts the restrictive policy on every response, errors included', async () => {
    for (const path of ['/', '/static/style.css', '/api/openapi.json', '/request/nothing_here', `/attachment/${seeded.pdf.attachmentId}/download`]) {
      const res = await app.request(path);
      expect(res.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });
});

describe('queries and paths', () => {
  it('treats a SQL-looking query as words to search for', async () => {
    const q = encodeURIComponent("'; DROP TABLE requests; --");
    const res = await app.request(`/search?q=${q}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('&#39;; DROP TABLE requests; --');
    const api = await app.request(`/api/search?q=${q}&authority=${q}&status=${q}`);
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ total: 0 });
    expect((await app.request(`/request/${THREAD.urlTitle}`)).status).toBe(200);
  });

  it('answers 404 to ../ in any path parameter, raw or percent-encoded, over real HTTP', async () => {
    const server = await serve(archive, { port: 0 });
    try {
      const paths = [
        '/request/../../etc/passwd',
        '/request/..%2f..%2fetc%2fpasswd',
        '/request/%2e%2e%2f%2e%2e%2fetc',
        '/request/%252e%252e%252fetc',
        `/attachment/..%2f${seeded.pdf.attachmentId}/download`,
        `/attachment/${seeded.pdf.attachmentId}/..%2f..%2fdownload`,
        '/authority/..%5c..%5cwindows',
        '/api/request/%2e%2e%2fsecret',
        '/api/attachment/..%2F1',
        '/api/authority/%2E%2E%2F',
        '/api/..%2f',
        '/static/..%2f..%2fpackage.json',
        '/capture/1/..%2fsnapshot.pdf',
      ];
      for (const path of paths) {
        const res = await rawGet(server.url, path);
        expect(res.status, path).toBe(404);
        expect(res.type, path).toContain(path.startsWith('/api/') ? 'application/json' : 'text/');
      }
      expect((await rawGet(server.url, `/request/${THREAD.urlTitle}`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('methods', () => {
  it('answers anything but GET and HEAD with 405 and Allow, as JSON under /api/', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/', '/api/search', `/api/request/${THREAD.urlTitle}`, `/attachment/${seeded.pdf.attachmentId}/download`, '/nothing/here']) {
        const res = await app.request(path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow'), `${method} ${path}`).toBe('GET, HEAD');
        if (path.startsWith('/api/')) expect(await res.json(), `${method} ${path}`).toMatchObject({ error: expect.stringContaining('read-only') });
      }
    }
    const head = await app.request('/api/search', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});

describe('read token', () => {
  const token = 's3cret-token';
  const guarded = () => createApp(archive, { token });
  const routes = () => [
    '/',
    '/search?q=housing',
    '/search.atom?q=housing',
    `/request/${THREAD.urlTitle}`,
    `/attachment/${seeded.pdf.attachmentId}`,
    `/attachment/${seeded.pdf.attachmentId}/download`,
    `/authority/${THREAD.authority.urlName}`,
    '/runs',
    '/static/style.css',
    '/export.csv',
    '/export.jsonl',
    '/api/search',
    '/api/openapi.json',
    `/api/request/${THREAD.urlTitle}`,
    `/api/attachment/${seeded.pdf.attachmentId}`,
    '/api/runs',
  ];

  it('is required on every route, downloads included', async () => {
    const app = guarded();
    for (const path of routes()) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(await res.text(), path).not.toContain(THREAD.title);
      expect((await app.request(path, { headers: { Authorization: 'Bearer wrong-token' } })).status, path).toBe(401);
    }
  });

  it('is asked for under /api/ as a JSON error, with WWW-Authenticate', async () => {
    const res = await guarded().request('/api/search');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="wdtk-archive"');
    expect(await res.json()).toEqual({ error: expect.stringContaining('read token is required') });
    expect((await guarded().request('/runs')).headers.get('content-type')).toContain('text/plain');
  });

  it('is accepted as a bearer token', async () => {
    const app = guarded();
    for (const path of routes()) {
      const res = await app.request(path, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
    }
  });

  it('is accepted once as ?token= and then carried by an HttpOnly SameSite=Strict cookie', async () => {
    const app = guarded();
    const first = await app.request(`/?token=${token}`);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const pair = cookie.split(';')[0] as string;
    const download = await app.request(`/attachment/${seeded.pdf.attachmentId}/download`, { headers: { Cookie: pair } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(seeded.pdf.bytes)).toBe(true);
    expect((await app.request('/', { headers: { Cookie: 'wdtk_token=wrong' } })).status).toBe(401);
  });
});
