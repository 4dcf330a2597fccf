import { describe, expect, it } from 'vitest';
import { FetchFailedError, RetryAfterTooLongError, type PoliteFetcherOptions } from '../../crawler/http/index.js';
import { parseRetryAfter } from '../../crawler/http/retry-policy.js';
import { fetcherSite, text, type Route } from './test-server.js';

const site = fetcherSite();
/** Every site here also serves /request/next: the request after the one that failed. */
const setUp = (routes: Record<string, Route>, options?: Partial<PoliteFetcherOptions>) =>
  site.setUp({ '/request/next': (_req, res) => text(res, 200, 'next'), ...routes }, options);

/** An HTTP date `offsetMs` from `baseMs`, whole seconds as the format has them. */
const httpDate = (baseMs: number, offsetMs = 0): string => new Date(Math.floor(baseMs / 1000) * 1000 + offsetMs).toUTCString();

describe('Retry-After on the last attempt', () => {
  it('holds every request to the site until it ends, though the URL that got it gives up', async () => {
    await setUp({ '/list': (_req, res) => text(res, 503, 'maintenance', { 'retry-after': '1' }) }, { maxAttempts: 2 });
    await expect(site.fetcher.get('/list')).rejects.toBeInstanceOf(FetchFailedError);
    await site.fetcher.get('/request/next');

    const last = site.server.hits('/list').at(-1)!;
    const [next] = site.server.hits('/request/next');
    expect(next!.at - last.at).toBeGreaterThanOrEqual(1000);
  });

  it('still stops with RetryAfterTooLongError when the last attempt asks for more than the cap', async () => {
    await setUp({ '/list': (_req, res) => text(res, 429, 'tomorrow', { 'retry-after': '86400' }) }, { maxAttempts: 1 });
    await expect(site.fetcher.get('/list')).rejects.toBeInstanceOf(RetryAfterTooLongError);
  });
});

describe('malformed Retry-After', () => {
  // V8's Date.parse reads the first three as dates in 2001, which made the wait 0.
  it.each(['-5', '-1', '1.5', '+5', '5 s', '2030-01-01T00:00:00Z', 'sun, 06 nov 2044 08:49:37 gmt'])(
    'ignores %j and backs off as without one',
    async (value) => {
      await setUp({ '/list': (_req, res, hit) => (hit === 1 ? text(res, 503, 'busy', { 'retry-after': value }) : text(res, 200, 'ok')) });
      expect((await site.fetcher.get('/list')).text()).toBe('ok');
      expect(site.retries).toHaveLength(1);
      expect(site.retries[0]).toMatchObject({ reason: 'status', status: 503 });
      expect(site.retries[0]!.retryAfter).toBeUndefined();
    },
  );
});

describe('Retry-After as an HTTP date', () => {
  it.each([
    ['an hour behind', -3_600_000],
    ['two hours ahead', 7_200_000],
  ])('is measured against the response Date when the site clock is %s', async (_label, skewMs) => {
    await setUp({
      '/list': (_req, res, hit) => {
        if (hit > 1) return text(res, 200, 'ok');
        const siteNow = Date.now() + skewMs;
        text(res, 503, 'maintenance', { date: httpDate(siteNow), 'retry-after': httpDate(siteNow, 1000) });
      },
    });
    expect((await site.fetcher.get('/list')).text()).toBe('ok');
    expect(site.retries).toMatchObject([{ reason: 'retry-after', status: 503, waitMs: 1000 }]);
    const [first, second] = site.server.hits('/list');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
  });

  it('is measured against our clock when the response Date is not a valid HTTP date', async () => {
    await setUp({
      '/list': (_req, res, hit) =>
        hit === 1 ? text(res, 503, 'maintenance', { date: 'yesterday', 'retry-after': httpDate(Date.now(), 2000) }) : text(res, 200, 'ok'),
    });
    expect((await site.fetcher.get('/list')).text()).toBe('ok');
    expect(site.retries[0]!.reason).toBe('retry-after');
    expect(site.retries[0]!.waitMs).toBeGreaterThan(900);
    expect(site.retries[0]!.waitMs).toBeLessThanOrEqual(2000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 0);

  it('reads delta-seconds, digits only', () => {
    expect(parseRetryAfter('120', undefined, now)).toBe(120_000);
    expect(parseRetryAfter('0', undefined, now)).toBe(0);
    expect(parseRetryAfter(' 7 ', undefined, now)).toBe(7_000);
  });

  it('reads the three HTTP-date forms of RFC 9110 §5.6.7', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', undefined, now)).toBe(37_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', undefined, now)).toBe(37_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', undefined, now)).toBe(37_000);
  });

  it('measures a date against the response Date when that is an HTTP date', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:30 GMT', 0)).toBe(7_000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', 'not a date', now)).toBe(37_000);
  });

  it('treats a date already past as no wait', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:48:00 GMT', undefined, now)).toBe(0);
  });

  it('reads a two-digit RFC 850 year as the nearest one not more than 50 years ahead', () => {
    const in2030 = Date.UTC(2030, 0, 1);
    expect(parseRetryAfter('Tuesday, 01-Jan-30 00:00:10 GMT', undefined, in2030)).toBe(10_000);
    expect(parseRetryAfter('Tuesday, 01-Jan-80 00:00:00 GMT', undefined, in2030)).toBe(Date.UTC(2080, 0, 1) - in2030);
    expect(parseRetryAfter('Tuesday, 01-Jan-81 00:00:00 GMT', undefined, in2030)).toBe(0);
  });

  it.each([
    undefined,
    '',
    '-5',
    '-1',
    '1.5',
    '+5',
    '1e3',
    '0x10',
    '5 s',
    'soon',
    '2030-01-01T00:00:00Z',
    '2030-01-01',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 06 Nov 1994 08:49:37 +0000',
    'sun, 06 nov 1994 08:49:37 gmt',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    'Sun, 06 Nov 1994 08:49 GMT',
    'Sunday, 06-Nov-1994 08:49:37 GMT',
    'Sun Nov 6 08:49:37 1994',
    'Sun Nov  6 08:49:37 1994 GMT',
  ])('ignores %j', (value) => {
    expect(parseRetryAfter(value, undefined, now)).toBeUndefined();
  });
});
