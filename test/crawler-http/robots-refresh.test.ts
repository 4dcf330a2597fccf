import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RobotsDisallowedError } from '../../crawler/http/index.js';
import { fetcherSite, text, type Route } from './test-server.js';

const site = fetcherSite();

/** robots.txt allows everything at first, then forbids /b. */
const changingRobots: Record<string, Route> = {
  '/robots.txt': (_req, res, hit) => text(res, 200, hit === 1 ? 'User-agent: *\nDisallow:\n' : 'User-agent: *\nDisallow: /b\n', { 'content-type': 'text/plain' }),
  '/b': (_req, res) => text(res, 200, 'b'),
};

describe('robots.txt over a long run', () => {
  it('is fetched again once its rules are older than the maximum age, and the new rules apply', async () => {
    await site.setUp(changingRobots, { robotsMaxAgeMs: 300 });
    expect((await site.fetcher.get('/b')).status).toBe(200);
    await sleep(350);
    await expect(site.fetcher.get('/b')).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(site.server.hits('/robots.txt')).toHaveLength(2);
    expect(site.server.hits('/b')).toHaveLength(1);
  });

  it('is kept for a day by default', async () => {
    await site.setUp(changingRobots);
    expect((await site.fetcher.get('/b')).status).toBe(200);
    await sleep(350);
    expect((await site.fetcher.get('/b')).status).toBe(200);
    expect(site.server.hits('/robots.txt')).toHaveLength(1);
  });
});
