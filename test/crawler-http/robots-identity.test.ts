import { afterEach, describe, expect, it } from 'vitest';
import { ContactRequiredError, OffSiteUrlError, PoliteFetcher, RobotsDisallowedError } from '../../crawler/http/index.js';
import { minGapMs, robotsRoute, startTestServer, text, WDTK_ROBOTS, type TestServer } from './test-server.js';

const ATTACHMENT = '/request/x/response/1/attach/2/a.pdf';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
});

function pdfRoute(): (req: unknown, res: import('node:http').ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': 8 });
    res.end('%PDF-1.4');
  };
}

describe('robots.txt', () => {
  it('refuses disallowed URLs before any request and lets Allow beat the shorter Disallow', async () => {
    server = await startTestServer({
      '/robots.txt': robotsRoute(WDTK_ROBOTS),
      [ATTACHMENT]: pdfRoute(),
      '/request/x': (_req, res) => text(res, 200, '<h1>x</h1>'),
    });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50 });

    await expect(fetcher.get('/search/cats/all')).rejects.toBeInstanceOf(RobotsDisallowedError);
    await expect(fetcher.get('/cy/search/cats/all')).rejects.toBeInstanceOf(RobotsDisallowedError);
    await expect(fetcher.get('/feed/body/dft')).rejects.toBeInstanceOf(RobotsDisallowedError);
    await expect(fetcher.get('/request/x/response/1')).rejects.toThrow(/robots\.txt forbids .*\/request\/x\/response\/1: rule on line/);
    await expect(fetcher.get('/request/x?update_status=1')).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt']);

    const attachment = await fetcher.get(ATTACHMENT);
    expect(attachment.status).toBe(200);
    expect(attachment.body.toString()).toBe('%PDF-1.4');
    expect((await fetcher.get('/request/x')).status).toBe(200);
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', ATTACHMENT, '/request/x']);
  });

  it('checks every redirect target against robots.txt before following it', async () => {
    server = await startTestServer({
      '/robots.txt': robotsRoute(WDTK_ROBOTS),
      '/go': (_req, res) => text(res, 302, '', { location: '/search/secret/all' }),
    });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50 });
    await expect(fetcher.get('/go')).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/go']);
  });

  it('fetches robots.txt once, and a 404 robots.txt allows everything', async () => {
    server = await startTestServer({ '/search/a': (_req, res) => text(res, 200, 'ok') });
    const seen: string[] = [];
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50, onResponse: (r) => void seen.push(`${r.status} ${new URL(r.url).pathname}`) });
    await Promise.all([fetcher.get('/search/a'), fetcher.get('/search/a')]);
    expect(server.hits('/robots.txt')).toHaveLength(1);
    expect(seen).toEqual(['404 /robots.txt', '200 /search/a', '200 /search/a']);
  });

  it('treats a robots.txt that keeps failing with 5xx as disallowing the whole site (RFC 9309)', async () => {
    server = await startTestServer({
      '/robots.txt': (_req, res) => text(res, 503, 'down'),
      '/request/x': (_req, res) => text(res, 200, 'ok'),
    });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50, maxAttempts: 2, backoff: { baseMs: 5, maxMs: 5 } });
    await expect(fetcher.get('/request/x')).rejects.toThrow(/robots\.txt could not be fetched .*HTTP 503.*RFC 9309/);
    await expect(fetcher.get('/request/x')).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/robots.txt']);
  });

  it('uses a Crawl-delay larger than the configured interval, from the robots.txt request onwards', async () => {
    server = await startTestServer({
      '/robots.txt': robotsRoute('User-agent: *\nCrawl-delay: 0.3\nDisallow: /search/\n'),
      '/a': (_req, res) => text(res, 200, 'a'),
      '/b': (_req, res) => text(res, 200, 'b'),
    });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50 });
    await Promise.all([fetcher.get('/a'), fetcher.get('/b'), fetcher.get('/a')]);
    expect(server.log).toHaveLength(4);
    expect(minGapMs(server.log)).toBeGreaterThanOrEqual(300);
  });

  it('can be switched off (robots: false) for sites where the operator has approval', async () => {
    server = await startTestServer({ '/search/a': (_req, res) => text(res, 200, 'ok') });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50, robots: false });
    expect((await fetcher.get('/search/a')).status).toBe(200);
    expect(server.log.map((entry) => entry.path)).toEqual(['/search/a']);
  });
});

describe('identity', () => {
  it('requires a contact for a public site, explaining why', () => {
    expect(() => new PoliteFetcher({ baseUrl: 'https://www.whatdotheyknow.com' })).toThrow(ContactRequiredError);
    expect(() => new PoliteFetcher({ baseUrl: 'https://www.whatdotheyknow.com' })).toThrow(/charity.*reach/);
    expect(() => new PoliteFetcher({ baseUrl: 'https://www.whatdotheyknow.com', contact: 'not a contact' })).toThrow(ContactRequiredError);
    const ok = new PoliteFetcher({ baseUrl: 'https://www.whatdotheyknow.com', contact: 'ops@example.org', version: '1.2.3' });
    expect(ok.userAgent).toBe('wdtk-archive/1.2.3 (+ops@example.org)');
    expect(ok.stats.requests).toBe(0);
    return ok.close();
  });

  it('does not require a contact on loopback, and sends its user agent, English and no cookie', async () => {
    server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), '/list': (_req, res) => text(res, 200, 'ok') });
    for (const baseUrl of ['http://localhost:1', 'http://[::1]:1', 'http://127.0.0.2:1']) {
      const local = new PoliteFetcher({ baseUrl, version: '0.9.0' });
      expect(local.userAgent).toBe('wdtk-archive/0.9.0 (+local-test)');
      await local.close();
    }
    fetcher = new PoliteFetcher({ baseUrl: server.url, contact: 'https://example.org/crawler', version: '0.9.0', ratePerSecond: 50 });
    await fetcher.get('/list');
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/list']);
    for (const entry of server.log) {
      expect(entry.headers['user-agent']).toBe('wdtk-archive/0.9.0 (+https://example.org/crawler)');
      expect(entry.headers['accept-language']).toBe('en');
      expect(entry.headers.cookie).toBeUndefined();
    }
  });

  it('refuses URLs on another origin', async () => {
    server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), '/away': (_req, res) => text(res, 301, '', { location: 'https://example.org/' }) });
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 50 });
    await expect(fetcher.get('https://example.org/list')).rejects.toBeInstanceOf(OffSiteUrlError);
    await expect(fetcher.get('/away')).rejects.toBeInstanceOf(OffSiteUrlError);
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/away']);
  });
});
