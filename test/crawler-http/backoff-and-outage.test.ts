import { describe, expect, it } from 'vitest';
import { FetchFailedError, SiteDownError } from '../../crawler/http/index.js';
import { fetcherSite, text, type Route } from './test-server.js';

const site = fetcherSite();

const broken: Route = (_req, res) => text(res, 500, 'broken');
const ok: Route = (_req, res) => text(res, 200, 'ok');

describe('backoff', () => {
  it('waits the rate interval plus the backoff before retrying a 5xx, a reset or a timeout', async () => {
    const intervalMs = 100;
    await site.setUp(
      {
        '/list': (req, res, hit) => {
          if (hit === 1 || hit === 3) return text(res, 503, 'busy');
          if (hit === 2) return void req.socket.destroy();
          if (hit === 4) return void setTimeout(() => text(res, 200, 'late'), 2500);
          text(res, 200, 'ok');
        },
      },
      // undici's timers have about one second of resolution, hence the timeout far below the late answer.
      { ratePerSecond: 1000 / intervalMs, backoff: { baseMs: 200, maxMs: 200 }, timeoutMs: 500 },
    );
    expect((await site.fetcher.get('/list')).text()).toBe('ok');

    expect(site.retries.map((event) => event.reason)).toEqual(['status', 'reset', 'status', 'timeout']);
    const hits = site.server.hits('/list');
    site.retries.forEach((event, i) => {
      expect(hits[i + 1]!.at - hits[i]!.at, `retry ${i + 1} after ${event.reason}, backoff ${event.waitMs} ms`).toBeGreaterThanOrEqual(
        intervalMs + event.waitMs - 1,
      );
    });
  });
});

describe('a site that keeps failing', () => {
  it('stops with SiteDownError after 10 failed attempts in a row across URLs, a run-stopping error', async () => {
    await site.setUp({ '/request/a': broken, '/request/b': broken, '/request/c': ok });
    await expect(site.fetcher.get('/request/a')).rejects.not.toBeInstanceOf(SiteDownError);
    const failure = await site.fetcher.get('/request/b').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SiteDownError);
    expect((failure as SiteDownError).consecutiveFailures).toBe(10);
    expect((failure as Error).message).toMatch(/^the site appears to be down: 10 attempts in a row failed \(the last: HTTP 500 for http:.*\/request\/b\)/);
    expect(site.server.hits('/request/a')).toHaveLength(5);
    expect(site.server.hits('/request/b')).toHaveLength(5);
    // A run stops on it; until it has, no other caller's request adds to the site's trouble.
    await expect(site.fetcher.get('/request/c')).rejects.toBe(failure);
    expect(site.server.hits('/request/c')).toHaveLength(0);
  });

  it('counts resets and timeouts as well as 5xx answers', async () => {
    await site.setUp(
      {
        '/request/a': (req, res, hit) => (hit === 1 ? void req.socket.destroy() : broken(req, res, hit)),
        '/request/b': (_req, res) => void setTimeout(() => text(res, 200, 'late'), 2500),
      },
      { maxConsecutiveFailures: 3, maxAttempts: 2, timeoutMs: 500 },
    );
    await expect(site.fetcher.get('/request/a')).rejects.not.toBeInstanceOf(SiteDownError);
    const failure = await site.fetcher.get('/request/b').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SiteDownError);
    expect((failure as Error).message).toMatch(/3 attempts in a row failed \(the last: timeout /);
  });

  it('starts counting again after any successful response', async () => {
    await site.setUp({ '/request/a': broken, '/request/b': broken, '/request/c': ok }, { maxConsecutiveFailures: 4, maxAttempts: 3 });
    await expect(site.fetcher.get('/request/a')).rejects.toBeInstanceOf(FetchFailedError);
    expect((await site.fetcher.get('/request/c')).status).toBe(200);
    const failure = await site.fetcher.get('/request/b').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchFailedError);
    expect(failure).not.toBeInstanceOf(SiteDownError);
    expect(site.server.hits('/request/b')).toHaveLength(3);
  });
});

describe('a site that keeps answering 429 without Retry-After', () => {
  it('is backed off from longer and longer across URLs, not from scratch at each one, and is not taken to be down', { timeout: 30_000 }, async () => {
    const slowDown: Route = (_req, res) => text(res, 429, 'slow down');
    await site.setUp({ '/a': slowDown, '/b': slowDown, '/c': slowDown }, { ratePerSecond: 1000, maxAttempts: 4, backoff: { baseMs: 10, maxMs: 2000 } });
    for (const path of ['/a', '/b', '/c']) await expect(site.fetcher.get(path)).rejects.toThrow(FetchFailedError);

    // Twelve 429s in a row: the last URL's backoffs may each be up to 2 s (the cap), where they would start again at
    // 10, 20 and 40 ms (70 ms at most in all) if each URL were a fresh start. All three under 100 ms by chance: 1 in 8000.
    const lastWaits = site.retries.filter((event) => event.url.endsWith('/c')).map((event) => event.waitMs);
    expect(lastWaits).toHaveLength(3);
    expect(lastWaits.reduce((sum, waitMs) => sum + waitMs, 0)).toBeGreaterThan(100);
  });
});
