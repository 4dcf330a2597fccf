import { afterEach, describe, expect, it } from 'vitest';
import {
  FetchFailedError,
  PoliteFetcher,
  RetryAfterTooLongError,
  type PoliteFetcherOptions,
  type RetryEvent,
} from '../../crawler/http/index.js';
import { capturingLogger, minGapMs, robotsRoute, startTestServer, text, WDTK_ROBOTS, type Route, type TestServer } from './test-server.js';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
});

async function setUp(routes: Record<string, Route>, options: Partial<PoliteFetcherOptions> = {}): Promise<{ retries: RetryEvent[] }> {
  server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), ...routes });
  const retries: RetryEvent[] = [];
  fetcher = new PoliteFetcher({
    baseUrl: server.url,
    ratePerSecond: 50,
    backoff: { baseMs: 5, maxMs: 20 },
    onRetry: (event) => void retries.push(event),
    ...options,
  });
  return { retries };
}

describe('pacing', () => {
  it('keeps request starts at least 1/rate apart and uses one connection, even with 10 parallel callers', async () => {
    const paths = Array.from({ length: 10 }, (_, i) => `/request/r${i}`);
    const slowPage = (path: string): Route => (_req, res) => void setTimeout(() => text(res, 200, path), 5);
    await setUp(Object.fromEntries(paths.map((path) => [path, slowPage(path)])), { ratePerSecond: 20 });
    const pages = await Promise.all(paths.map((path) => fetcher!.get(path)));

    expect(pages.map((page) => page.text())).toEqual(paths);
    expect(server!.log).toHaveLength(11);
    expect(minGapMs(server!.log)).toBeGreaterThanOrEqual(50);
    expect(server!.maxInFlight).toBe(1);
    expect(server!.maxOpenConnections).toBe(1);
    expect(server!.connectionsOpened).toBe(1);
  });

  describe('a site slow to answer', () => {
    const SLOW_MS = 300;
    const MEDIUM_MS = 80;
    const CALM_MS = 500;
    const answerAfter = (ms: number): Route => (_req, res) => void setTimeout(() => text(res, 200, 'answer'), ms);
    const quick: Route = (_req, res) => text(res, 200, 'answer');
    const routes: Record<string, Route> = {
      '/warm-up': quick,
      '/warmed-up': quick,
      '/slow/1': answerAfter(SLOW_MS),
      '/slow/2': answerAfter(SLOW_MS),
      '/medium/1': answerAfter(MEDIUM_MS),
      '/medium/2': answerAfter(MEDIUM_MS),
      '/fast/1': quick,
      '/fast/2': quick,
      '/fast/3': quick,
    };
    const gapsBetween = (paths: string[]) => {
      const at = paths.map((path) => server!.hits(path)[0]!.at);
      return at.slice(1).map((time, i) => time - at[i]!);
    };
    const paths = ['/slow/1', '/slow/2', '/fast/1', '/fast/2'];
    // robots.txt and a cold connection can be slow enough to start a spell: let it end before what is measured.
    const warmUp = async () => {
      await fetcher!.get('/warm-up');
      await new Promise((resolve) => setTimeout(resolve, CALM_MS + 50));
      await fetcher!.get('/warmed-up');
    };

    it('gets a pause of twice its answer time after each slow answer, warns once, and says when it has been quick for a while', async () => {
      const { logger, lines } = capturingLogger();
      // 100 ms between requests: a quick answer (under 50 ms) leaves the interval as it is, a 300 ms one does not.
      await setUp(routes, { ratePerSecond: 10, logger, slowSpell: { calmMs: CALM_MS, struggleMs: 250 } });
      await warmUp();
      const slowBefore = fetcher!.stats.slowAnswers;
      const linesBefore = lines.length;
      await Promise.all(paths.map((path) => fetcher!.get(path)));

      const [afterSlow1, afterSlow2, afterFast1] = gapsBetween(paths);
      // Its answer, then twice as long again, from one request's arrival to the next.
      expect(afterSlow1).toBeGreaterThanOrEqual(3 * SLOW_MS - 20);
      expect(afterSlow2).toBeGreaterThanOrEqual(3 * SLOW_MS - 20);
      expect(afterFast1).toBeGreaterThanOrEqual(100);
      expect(afterFast1).toBeLessThan(2 * SLOW_MS);
      const said = () => lines.slice(linesBefore).filter((line) => String(line.msg).startsWith('the site'));
      // The quick answers came within the calm period of the last slow one: the spell goes on, unsaid.
      expect(said().map((line) => [line.level, line.url])).toEqual([[40, `${server!.url}/slow/1`]]);
      expect(said()[0]!.msg).toMatch(/^the site took 3\d\d ms to answer: waiting [67]\d\d ms \(2 times its answer time\) before each request while it stays slow$/);

      await new Promise((resolve) => setTimeout(resolve, CALM_MS + 50));
      await fetcher!.get('/fast/3');
      expect(said().map((line) => [line.level, line.url])).toEqual([
        [40, `${server!.url}/slow/1`],
        [30, `${server!.url}/fast/3`],
      ]);
      expect(said()[1]!.msg).toBe('the site has answered in time for 500 ms: back to one request every 100 ms');
      expect(fetcher!.stats.slowAnswers - slowBefore).toBe(2);
    });

    it('logs answers either side of the line as one spell, at info until an answer shows the site struggling', async () => {
      const { logger, lines } = capturingLogger();
      // An 80 ms answer asks for 160 ms, over the 100 ms interval: slower than the rate, not a site in difficulty.
      await setUp(routes, { ratePerSecond: 10, logger, slowSpell: { calmMs: CALM_MS, struggleMs: 250 } });
      await warmUp();
      const slowBefore = fetcher!.stats.slowAnswers;
      const linesBefore = lines.length;
      for (const path of ['/medium/1', '/fast/1', '/medium/2', '/fast/2', '/slow/1', '/fast/3']) await fetcher!.get(path);

      const said = lines.slice(linesBefore).filter((line) => String(line.msg).startsWith('the site'));
      expect(said.map((line) => [line.level, line.url])).toEqual([
        [30, `${server!.url}/medium/1`],
        [40, `${server!.url}/slow/1`],
      ]);
      expect(fetcher!.stats.slowAnswers - slowBefore).toBe(3);
    });

    it('adds no pause with the rate limit off', async () => {
      await setUp(routes, { ratePerSecond: 0 });
      await Promise.all(paths.map((path) => fetcher!.get(path)));
      const [afterSlow1] = gapsBetween(paths);
      expect(afterSlow1).toBeLessThan(2 * SLOW_MS);
    });
  });

  it('spaces retries and redirect hops like any other request', async () => {
    await setUp(
      {
        '/flaky': (_req, res, hit) => (hit === 1 ? text(res, 503, 'busy') : text(res, 302, '', { location: '/request/a' })),
        '/request/a': (_req, res) => text(res, 200, 'a'),
      },
      { ratePerSecond: 20, backoff: { baseMs: 1, maxMs: 1 } },
    );
    const page = await fetcher!.get('/flaky');
    expect(page.url).toBe(`${server!.url}/request/a`);
    expect(page.redirects).toEqual([{ url: `${server!.url}/flaky`, status: 302, location: `${server!.url}/request/a` }]);
    expect(server!.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/flaky', '/flaky', '/request/a']);
    expect(minGapMs(server!.log)).toBeGreaterThanOrEqual(50);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds on 429, logs it at info and reports it', async () => {
    const { logger, lines } = capturingLogger();
    const { retries } = await setUp({ '/list': (_req, res, hit) => (hit === 1 ? text(res, 429, 'slow down', { 'retry-after': '1' }) : text(res, 200, 'ok')) }, { logger });
    const page = await fetcher!.get('/list');

    expect(page.status).toBe(200);
    const [first, second] = server!.hits('/list');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
    expect(retries).toEqual([{ url: `${server!.url}/list`, attempt: 1, reason: 'retry-after', status: 429, waitMs: 1000, retryAfter: '1' }]);
    expect(lines.filter((line) => line.level === 30).map((line) => line.msg)).toContain(`honouring Retry-After: 1 s for ${server!.url}/list`);
    expect(fetcher!.stats).toMatchObject({ requests: 3, retries: 1, byStatus: { 200: 2, 429: 1 } });
  });

  it('honours Retry-After given as an HTTP date on 503', async () => {
    const { retries } = await setUp({
      '/list': (_req, res, hit) =>
        hit === 1 ? text(res, 503, 'maintenance', { 'retry-after': new Date(Date.now() + 3000).toUTCString() }) : text(res, 200, 'ok'),
    });
    expect((await fetcher!.get('/list')).status).toBe(200);
    const [first, second] = server!.hits('/list');
    // HTTP dates have one-second resolution and the fetcher reads its clock a little later than the server did,
    // so the wait is a little over 2 s at the least.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);
    expect(retries[0]).toMatchObject({ reason: 'retry-after', status: 503 });
  });

  it('stops with a clear error when Retry-After is beyond the cap', async () => {
    await setUp({ '/list': (_req, res) => text(res, 429, 'come back tomorrow', { 'retry-after': '86400' }) });
    const failure = fetcher!.get('/list');
    await expect(failure).rejects.toBeInstanceOf(RetryAfterTooLongError);
    await expect(failure).rejects.toThrow(/wait 86400 s .*more than the 3600 s/);
    // The site asked for a day: nothing else is asked of it before the run has stopped.
    await expect(fetcher!.get('/list?page=2')).rejects.toBe(await failure.catch((error: unknown) => error));
    expect(server!.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/list']);
  });

  it('retries 503 without Retry-After with backoff, then succeeds', async () => {
    const { retries } = await setUp({ '/list': (_req, res, hit) => (hit === 1 ? text(res, 503, 'busy') : text(res, 200, 'ok')) });
    expect((await fetcher!.get('/list')).text()).toBe('ok');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, reason: 'status', status: 503 });
    expect(retries[0]!.waitMs).toBeLessThanOrEqual(5);
  });

  it('retries a connection reset, then succeeds', async () => {
    const { retries } = await setUp({ '/list': (req, res, hit) => (hit === 1 ? void req.socket.destroy() : text(res, 200, 'ok')) });
    expect((await fetcher!.get('/list')).text()).toBe('ok');
    expect(retries.map((event) => event.reason)).toEqual(['reset']);
    expect(server!.hits('/list')).toHaveLength(2);
  });

  it('retries a response that does not arrive within the timeout, then succeeds', async () => {
    // undici's timers have about one second of resolution, hence the long silence.
    const { retries } = await setUp(
      { '/list': (_req, res, hit) => void setTimeout(() => text(res, 200, hit === 1 ? 'late' : 'ok'), hit === 1 ? 3000 : 0) },
      { timeoutMs: 300 },
    );
    expect((await fetcher!.get('/list')).text()).toBe('ok');
    expect(retries.map((event) => event.reason)).toEqual(['timeout']);
  });

  it('retries a body cut short of its Content-Length, then returns the whole body', async () => {
    const full = 'x'.repeat(1000);
    const { retries } = await setUp({
      '/list': (req, res, hit) => {
        if (hit > 1) return text(res, 200, full);
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 1000 });
        res.write(full.slice(0, 500), () => setTimeout(() => req.socket.destroy(), 10));
      },
    });
    const page = await fetcher!.get('/list');
    expect(page.body.length).toBe(1000);
    expect(retries.map((event) => event.reason)).toEqual(['truncated']);
  });

  it('gives up after maxAttempts with FetchFailedError carrying the status', async () => {
    const { retries } = await setUp({ '/list': (_req, res) => text(res, 500, 'broken') }, { maxAttempts: 3 });
    const failure = fetcher!.get('/list');
    await expect(failure).rejects.toBeInstanceOf(FetchFailedError);
    await expect(failure).rejects.toMatchObject({ status: 500, message: expect.stringMatching(/after 3 attempts: HTTP 500/) });
    expect(server!.hits('/list')).toHaveLength(3);
    expect(retries.map((event) => event.attempt)).toEqual([1, 2]);
  });

  it('gives up on repeated resets with the transport error as cause', async () => {
    await setUp({ '/list': (req) => void req.socket.destroy() }, { maxAttempts: 2 });
    const failure = await fetcher!.get('/list').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchFailedError);
    expect((failure as FetchFailedError).status).toBeUndefined();
    expect((failure as FetchFailedError).cause).toBeInstanceOf(Error);
    expect(server!.hits('/list')).toHaveLength(2);
  });
});
