import { afterEach, describe, expect, it } from 'vitest';
import {
  BudgetExhaustedError,
  ChallengeError,
  FetchFailedError,
  MaskingPendingError,
  PoliteFetcher,
  type PoliteFetcherOptions,
  type ResponseRecord,
} from '../../crawler/http/index.js';
import { robotsRoute, startTestServer, text, WDTK_ROBOTS, type Route, type TestServer } from './test-server.js';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
});

async function setUp(routes: Record<string, Route>, options: Partial<PoliteFetcherOptions> = {}): Promise<{ records: ResponseRecord[] }> {
  server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), ...routes });
  const records: ResponseRecord[] = [];
  fetcher = new PoliteFetcher({
    baseUrl: server.url,
    ratePerSecond: 50,
    backoff: { baseMs: 5, maxMs: 20 },
    onResponse: (record) => void records.push(record),
    ...options,
  });
  return { records };
}

const CLOUDFLARE_PAGE = '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>';

describe('answers of the wrong type', () => {
  const MAINTENANCE = '<html><head><title>Down for maintenance</title></head><body>Back soon</body></html>';

  it('retries a 200 that is not the JSON asked for, backing off, then returns the JSON', async () => {
    let hits = 0;
    const reasons: string[] = [];
    await setUp(
      {
        '/request/x.json': (_req, res) => {
          hits++;
          if (hits < 3) text(res, 200, MAINTENANCE, { 'content-type': 'text/html; charset=utf-8' });
          else text(res, 200, '{"id":1}', { 'content-type': 'application/json; charset=utf-8' });
        },
      },
      { onRetry: (event) => void reasons.push(`${event.reason}: ${event.wrongAnswer}`) },
    );
    const page = await fetcher!.get('/request/x.json', { expectType: /\bjson\b/i });
    expect(page.text()).toBe('{"id":1}');
    expect(reasons).toEqual(Array(2).fill('wrong-type: Content-Type text/html; charset=utf-8, not \\bjson\\b'));
    // Without the expectation the same page is an answer like any other.
    expect((await fetcher!.get('/request/x.json')).status).toBe(200);
  });

  it('gives up after the last attempt, naming the type that came', async () => {
    await setUp({ '/request/x.json': (_req, res) => text(res, 200, MAINTENANCE, { 'content-type': 'text/html' }) }, { maxAttempts: 2 });
    const failure = await fetcher!.get('/request/x.json', { expectType: /\bjson\b/i }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchFailedError);
    expect((failure as Error).message).toMatch(/after 2 attempts: HTTP 200 with Content-Type text\/html, not \\bjson\\b/);
    expect(server!.hits('/request/x.json')).toHaveLength(2);
  });
});

describe('challenges and refusals', () => {
  it('stops at a Cloudflare challenge at once, without retrying, and says not to work around it', async () => {
    await setUp({ '/request/x.json': (_req, res) => text(res, 403, CLOUDFLARE_PAGE, { 'cf-mitigated': 'challenge' }) });
    const failure = await fetcher!.get('/request/x.json').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChallengeError);
    expect((failure as ChallengeError).message).toMatch(/bot challenge \(HTTP 403, cf-mitigated: challenge header\).*does not work around.*contact the site/);
    expect(server!.hits('/request/x.json')).toHaveLength(1);
    expect(fetcher!.stats.retries).toBe(0);
  });

  it.each([
    [403, CLOUDFLARE_PAGE, /"Just a moment\.\.\." page/],
    [418, '<html><head><title>Attention Required! | Cloudflare</title></head></html>', /"Attention Required" page/],
  ])('recognises a challenge page by its body on %i', async (status, page, signal) => {
    await setUp({ '/a': (_req, res) => text(res, status, page) });
    const failure = await fetcher!.get('/a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChallengeError);
    expect((failure as Error).message).toMatch(signal);
    expect(server!.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/a']);
  });

  it('sends nothing more after a challenge: requests already waiting their turn and later ones fail with it', async () => {
    await setUp(
      { '/a': (_req, res) => text(res, 403, CLOUDFLARE_PAGE), '/b': (_req, res) => text(res, 200, 'b'), '/c': (_req, res) => text(res, 200, 'c') },
      // Slow enough that /b is still waiting for its slot when /a is answered, whatever the callers do meanwhile.
      { ratePerSecond: 2 },
    );
    const challenged = fetcher!.get('/a');
    const waiting = fetcher!.get('/b');
    const first = await challenged.catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ChallengeError);
    await expect(waiting).rejects.toBe(first);
    await expect(fetcher!.get('/c')).rejects.toBe(first);
    expect(server!.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/a']);
  });

  it('gives up at once on an answer whose headers are too large, naming the URL', async () => {
    await setUp({ '/big': (_req, res) => text(res, 200, 'body', { 'x-padding': 'a'.repeat(100_000) }) });
    const failure = await fetcher!.get('/big').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchFailedError);
    expect((failure as Error).message).toBe(`${server!.url}/big answered with response headers over the 16384 bytes allowed`);
    expect(server!.hits('/big')).toHaveLength(1);
  });

  it("returns Alaveteli's own 403 (removed request or attachment) to the caller", async () => {
    const removed = '<html><head><title>Request has been removed</title></head><body><h1>Request has been removed</h1></body></html>';
    await setUp({ '/request/gone': (_req, res) => text(res, 403, removed), '/request/missing': (_req, res) => text(res, 404, 'no') });
    const page = await fetcher!.get('/request/gone');
    expect(page.status).toBe(403);
    expect(page.text()).toContain('Request has been removed');
    expect((await fetcher!.get('/request/missing')).status).toBe(404);
    expect(server!.hits('/request/gone')).toHaveLength(1);
  });

  it('enforces the request budget, counting robots.txt, and makes no request past it', async () => {
    await setUp({ '/a': (_req, res) => text(res, 200, 'a'), '/b': (_req, res) => text(res, 200, 'b') }, { maxRequests: 3 });
    await fetcher!.get('/a');
    await fetcher!.get('/b');
    await expect(fetcher!.get('/a')).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(server!.log).toHaveLength(3);
    expect(fetcher!.stats.requests).toBe(3);
  });

  it('counts retries and redirect hops against the budget', async () => {
    await setUp(
      {
        '/a': (_req, res, hit) => (hit === 1 ? text(res, 503, 'busy') : text(res, 301, '', { location: '/b' })),
        '/b': (_req, res) => text(res, 200, 'b'),
      },
      { maxRequests: 3 },
    );
    await expect(fetcher!.get('/a')).rejects.toThrow(/budget of 3 used up; not fetching .*\/b/);
    expect(server!.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/a', '/a']);
  });
});

describe('caching, cookies, redirects', () => {
  it('sends validators and reports a 304 as not modified', async () => {
    const { records } = await setUp({
      '/request/x.json': (req, res) => {
        if (req.headers['if-none-match'] !== 'W/"v1"') return text(res, 200, '{}', { etag: 'W/"v1"' });
        res.writeHead(304, { etag: 'W/"v1"' }).end();
      },
    });
    const fresh = await fetcher!.get('/request/x.json');
    expect(fresh.notModified).toBe(false);
    const again = await fetcher!.get('/request/x.json', { conditional: { etag: fresh.headers.etag!, lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' } });
    expect(again.status).toBe(304);
    expect(again.notModified).toBe(true);
    expect(again.body.length).toBe(0);
    expect(again.requestHeaders).toMatchObject({ 'if-none-match': 'W/"v1"', 'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT' });
    expect(server!.hits('/request/x.json')[1]!.headers['if-modified-since']).toBe('Tue, 01 Dec 2026 10:00:00 GMT');
    expect(fetcher!.stats.notModified).toBe(1);
    expect(records.at(-1)).toMatchObject({ status: 304, fromCache: true, bytes: 0 });
  });

  it('never keeps cookies, so a /cy/ redirect chain ends in English', async () => {
    const welsh = (cookie: string | undefined): boolean => /locale=cy/.test(cookie ?? '');
    await setUp({
      '/cy/list': (_req, res) => text(res, 301, '', { location: '/list?locale=cy' }),
      '/list?locale=cy': (_req, res) => text(res, 302, '', { location: '/list', 'set-cookie': 'locale=cy; path=/' }),
      '/list': (req, res) =>
        text(res, 200, welsh(req.headers.cookie) ? '<h1>Ceisiadau</h1>' : '<h1>Requests</h1>', { 'set-cookie': 'locale=cy; path=/' }),
    });
    const page = await fetcher!.get('/cy/list');
    expect(page.text()).toBe('<h1>Requests</h1>');
    expect(page.url).toBe(`${server!.url}/list`);
    expect(page.redirects.map((hop) => [new URL(hop.url).pathname + new URL(hop.url).search, hop.status])).toEqual([
      ['/cy/list', 301],
      ['/list?locale=cy', 302],
    ]);
    expect((await fetcher!.get('/list')).text()).toBe('<h1>Requests</h1>');
    expect(server!.log.every((entry) => entry.headers.cookie === undefined)).toBe(true);
  });

  it('returns the redirect itself when asked not to follow', async () => {
    await setUp({ '/request/123': (_req, res) => text(res, 301, '', { location: '/request/slug' }) });
    const page = await fetcher!.get('/request/123', { followRedirects: false });
    expect(page.status).toBe(301);
    expect(page.headers.location).toBe('/request/slug');
    expect(server!.hits('/request/slug')).toHaveLength(0);
  });

  it('gives up after 10 redirect hops', async () => {
    await setUp({ '/loop': (_req, res) => text(res, 302, '', { location: '/loop' }) });
    await expect(fetcher!.get('/loop')).rejects.toThrow(FetchFailedError);
    expect(server!.hits('/loop')).toHaveLength(11);
  });
});

describe('masking interstitial', () => {
  const ATTACHMENT = '/request/x/response/1/attach/2/report.pdf?cookie_passthrough=1';
  const WAIT = '/attachments/BAh7CEkiCG/wait?referer=abc';

  it('throws MaskingPendingError with the original URL instead of following the wait page', async () => {
    await setUp({
      [ATTACHMENT]: (_req, res) => text(res, 302, '', { location: WAIT }),
      [WAIT]: (_req, res) => text(res, 200, '<meta http-equiv="refresh" content="2"><h1>Attachment processing…</h1>'),
    });
    const failure = await fetcher!.get(ATTACHMENT).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MaskingPendingError);
    expect((failure as MaskingPendingError).url).toBe(`${server!.url}${ATTACHMENT}`);
    expect(server!.hits(WAIT)).toHaveLength(0);
    const download = await fetcher!.download(ATTACHMENT, '/tmp/never-written').catch((error: unknown) => error);
    expect(download).toBeInstanceOf(MaskingPendingError);
  });

  it('recognises the interstitial page by its heading too', async () => {
    await setUp({
      '/request/x/response/1/attach/3/a.pdf': (_req, res) => text(res, 200, '<html><body><h1 class="x">Attachment available for download.</h1></body></html>'),
    });
    await expect(fetcher!.get('/request/x/response/1/attach/3/a.pdf')).rejects.toBeInstanceOf(MaskingPendingError);
  });

  it('follows a redirect back to the same attachment URL once masking finished in time', async () => {
    await setUp({
      '/request/x/response/1/attach/2/a.pdf': (_req, res, hit) =>
        hit === 1 ? text(res, 302, '', { location: '/request/x/response/1/attach/2/a.pdf' }) : text(res, 200, '%PDF-1.7', { 'content-type': 'application/pdf' }),
    });
    const page = await fetcher!.get('/request/x/response/1/attach/2/a.pdf');
    expect(page.body.toString()).toBe('%PDF-1.7');
    expect(page.redirects).toHaveLength(1);
  });
});

describe('text in another charset than UTF-8', () => {
  const page = (meta: string) => Buffer.from(`<!DOCTYPE html><html><head>${meta}<title>T</title></head><body><p>Décision café</p></body></html>`, 'latin1');
  const serve =
    (body: Buffer, contentType: string): Route =>
    (_req, res) => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      res.end(body);
    };

  it('reads an HTML page in the charset its <meta> names when the header names none', async () => {
    await setUp({
      '/meta': serve(page('<meta charset="windows-1252">'), 'text/html'),
      '/http-equiv': serve(page('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'), 'text/html'),
    });
    expect((await fetcher!.get('/meta')).text()).toContain('<p>Décision café</p>');
    expect((await fetcher!.get('/http-equiv')).text()).toContain('<p>Décision café</p>');
  });

  it("takes the header's charset over the page's <meta>, and UTF-8 where neither names one", async () => {
    const utf8 = Buffer.from('<html><head><meta charset="windows-1252"></head><body><p>Décision café</p></body></html>');
    await setUp({
      '/header': serve(page(''), 'text/html; charset=windows-1252'),
      '/header-over-meta': serve(utf8, 'text/html; charset=utf-8'),
      '/plain': serve(Buffer.from('<html><body><p>Décision café</p></body></html>'), 'text/html'),
    });
    expect((await fetcher!.get('/header')).text()).toContain('<p>Décision café</p>');
    expect((await fetcher!.get('/header-over-meta')).text()).toContain('<p>Décision café</p>');
    expect((await fetcher!.get('/plain')).text()).toContain('<p>Décision café</p>');
  });
});
