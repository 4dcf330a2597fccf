import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PoliteFetcher, RobotsDisallowedError } from '../../crawler/http/index.js';
import { startTestServer, text, type TestServer } from './test-server.js';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  fetcher = server = undefined;
});

/** robots.txt allows everything at first, then forbids /b. */
async function changingRobots(): Promise<TestServer> {
  return startTestServer({
    '/robots.txt': (_req, res, hit) => text(res, 200, hit === 1 ? 'User-agent: *\nDisallow:\n' : 'User-agent: *\nDisallow: /b\n', { 'content-type': 'text/plain' }),
    '/b': (_req, res) => text(res, 200, 'b'),
  });
}

describe('robots.txt over a long run', () => {
  it('is fetched again once its rules are older than the maximum age, and the new rules apply', async () => {
    server = await changingRobots();
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 100, robotsMaxAgeMs: 300 });
    expect((await fetcher.get('/b')).status).toBe(200);
    await sleep(350);
    await expect(fetcher.get('/b')).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(server.hits('/robots.txt')).toHaveLength(2);
    expect(server.hits('/b')).toHaveLength(1);
  });

  it('is kept for a day by default', async () => {
    server = await changingRobots();
    fetcher = new PoliteFetcher({ baseUrl: server.url, ratePerSecond: 100 });
    expect((await fetcher.get('/b')).status).toBe(200);
    await sleep(350);
    expect((await fetcher.get('/b')).status).toBe(200);
    expect(server.hits('/robots.txt')).toHaveLength(1);
  });
});
