import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchFailedError } from '../../crawler/http/index.js';
import { fetcherSite, text, type Route } from './test-server.js';

const site = fetcherSite();
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

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
  it('fails an attempt whose body trickles past it as a timeout, and site.retries it', async () => {
    await site.setUp(
      { '/request/slow': (req, res, hit) => (hit === 1 ? trickle(50, 4000)(req, res, hit) : text(res, 200, 'whole')) },
      { timeoutMs: 1000, attemptTimeLimit: { baseMs: 600, perMiBMs: 0 } },
    );
    const page = await site.fetcher.get('/request/slow');

    expect(page.text()).toBe('whole');
    expect(site.retries.map((event) => event.reason)).toEqual(['timeout']);
    const [first, second] = site.server.hits('/request/slow');
    expect(second!.at - first!.at).toBeLessThan(2000);
  });

  it('gives up on a download that trickles past it every time, leaving no file behind', async () => {
    await site.setUp({ '/request/slow': trickle(50, 4000) }, { timeoutMs: 1000, maxAttempts: 2, attemptTimeLimit: { baseMs: 400, perMiBMs: 0 } });
    dir = await mkdtemp(join(tmpdir(), 'attempt-deadline-'));
    const failure = await site.fetcher.download('/request/slow', join(dir, 'file.pdf')).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(FetchFailedError);
    expect((failure as Error).message).toMatch(/after 2 attempts: timeout \(.*longer than the 0\.4 s/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('allows more time for each MiB received', async () => {
    const mib = Buffer.alloc(1024 * 1024, 'x');
    await site.setUp(
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
    const file = await site.fetcher.download('/request/big', join(dir, 'big.pdf'));
    expect(file.size).toBe(3 * mib.length);
    expect(site.retries).toEqual([]);
  });
});
