import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchFailedError, PoliteFetcher, type PoliteFetcherOptions, type RetryEvent } from '../../crawler/http/index.js';
import { robotsRoute, startTestServer, text, WDTK_ROBOTS, type Route, type TestServer } from './test-server.js';

let server: TestServer | undefined;
let fetcher: PoliteFetcher | undefined;
let dir: string | undefined;
afterEach(async () => {
  await fetcher?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  fetcher = server = dir = undefined;
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

/** Never silent for long, never done: a byte every `everyMs`, until the client goes or `stopAfterMs` passes. */
function trickle(everyMs: number, stopAfterMs: number): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf' });
    const started = performance.now();
    const timer = setInterval(() => {
      if (performance.now() - started > stopAfterMs) {
        clearInterval(timer);
        res.end();
      } else res.write('x');
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

describe('the time limit on one attempt', () => {
  it('fails an attempt whose body trickles past it as a timeout, and retries it', async () => {
    const { retries } = await setUp(
      { '/request/slow': (req, res, hit) => (hit === 1 ? trickle(50, 4000)(req, res, hit) : text(res, 200, 'whole')) },
      { timeoutMs: 1000, attemptTimeLimit: { baseMs: 600, perMiBMs: 0 } },
    );
    const page = await fetcher!.get('/request/slow');

    expect(page.text()).toBe('whole');
    expect(retries.map((event) => event.reason)).toEqual(['timeout']);
    const [first, second] = server!.hits('/request/slow');
    expect(second!.at - first!.at).toBeLessThan(2000);
  });

  it('gives up on a download that trickles past it every time, leaving no file behind', async () => {
    await setUp({ '/request/slow': trickle(50, 4000) }, { timeoutMs: 1000, maxAttempts: 2, attemptTimeLimit: { baseMs: 400, perMiBMs: 0 } });
    dir = await mkdtemp(join(tmpdir(), 'attempt-deadline-'));
    const failure = await fetcher!.download('/request/slow', join(dir, 'file.pdf')).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(FetchFailedError);
    expect((failure as Error).message).toMatch(/after 2 attempts: timeout \(.*longer than the 0\.4 s/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('allows more time for each MiB received', async () => {
    const mib = Buffer.alloc(1024 * 1024, 'x');
    const { retries } = await setUp(
      {
        // 3 MiB over about 900 ms: longer than the base alone allows, well within it plus 300 ms a MiB.
        '/request/big': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': 3 * mib.length });
          let sent = 0;
          const timer = setInterval(() => {
            res.write(mib);
            if (++sent === 3) {
              clearInterval(timer);
              res.end();
            }
          }, 300);
        },
      },
      { attemptTimeLimit: { baseMs: 600, perMiBMs: 300 } },
    );
    dir = await mkdtemp(join(tmpdir(), 'attempt-deadline-'));
    const file = await fetcher!.download('/request/big', join(dir, 'big.pdf'));
    expect(file.size).toBe(3 * mib.length);
    expect(retries).toEqual([]);
  });
});
