import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChallengeError,
  MaskingPendingError,
  PoliteFetcher,
  RobotsDisallowedError,
  type DownloadedFile,
  type RetryEvent,
} from '../../crawler/http/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';

const INTERVAL_MS = 50;

let simulator: Simulator;
let fetcher: PoliteFetcher;
let retries: RetryEvent[];
let dir: string;
beforeEach(async () => {
  simulator = await startSimulator({ seed: 7, requests: 12, maskingMs: 100 });
  retries = [];
  fetcher = new PoliteFetcher({
    baseUrl: simulator.url,
    version: '0.0.1',
    ratePerSecond: 1000 / INTERVAL_MS,
    maxAttempts: 8,
    backoff: { baseMs: 5, maxMs: 40 },
    onRetry: (event) => void retries.push(event),
  });
  dir = await mkdtemp(join(tmpdir(), 'crawler-http-sim-'));
});
afterEach(async () => {
  await fetcher.close();
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});

function expectPoliteLog(): void {
  const log = simulator.log;
  for (let i = 1; i < log.length; i++) expect(log[i]!.time - log[i - 1]!.time).toBeGreaterThanOrEqual(INTERVAL_MS);
  expect(Math.max(...log.map((entry) => entry.concurrent))).toBe(1);
  expect(new Set(log.map((entry) => entry.userAgent))).toEqual(new Set(['wdtk-archive/0.0.1 (+local-test)']));
  expect(log.every((entry) => entry.headers.cookie === undefined)).toBe(true);
}

async function downloadWhenMasked(url: string, dest: string): Promise<DownloadedFile> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetcher.download(url, dest);
    } catch (error) {
      if (!(error instanceof MaskingPendingError) || attempt === 5) throw error;
      await sleep(150);
    }
  }
}

describe('against the Alaveteli simulator', () => {
  it("obeys the simulator's robots.txt and downloads allowed attachments intact", async () => {
    await expect(fetcher.get('/search/bins/all')).rejects.toBeInstanceOf(RobotsDisallowedError);
    await expect(fetcher.get('/feed/list/successful')).rejects.toBeInstanceOf(RobotsDisallowedError);
    const request = simulator.groundTruth().requests.find((r) => r.events.some((e) => e.attachments.some((a) => !a.hidden)))!;
    await expect(fetcher.get(`/request/${request.urlTitle}/similar`)).rejects.toBeInstanceOf(RobotsDisallowedError);
    expect(simulator.log.map((entry) => entry.path)).toEqual(['/robots.txt']);

    const attachment = request.events.flatMap((e) => e.attachments).find((a) => !a.hidden)!;
    const file = await downloadWhenMasked(attachment.url, join(dir, 'attachment'));
    expect(file.status).toBe(200);
    expect(file.sha256).toBe(attachment.sha256);
    expect(simulator.log.some((entry) => /\/search\/|\/feed\//.test(entry.path))).toBe(false);
    expectPoliteLog();
  });

  it('gets every page right through injected 5xx, 429, resets and truncations, politely', async () => {
    const requests = simulator.groundTruth().requests.slice(0, 8);
    simulator.setFaults({ rate: 0.35, kinds: ['status500', 'status503', 'status429', 'reset', 'truncate'], retryAfterSeconds: 0, seed: 11 });
    for (const request of requests) {
      const json = await fetcher.get(`/request/${request.urlTitle}.json`, { accept: 'application/json' });
      expect(json.status).toBe(200);
      expect((JSON.parse(json.text()) as { id: number }).id).toBe(request.id);
      const page = await fetcher.get(`/request/${request.urlTitle}?unfold=1`);
      expect(page.status).toBe(200);
      expect(page.text()).toContain('</html>');
    }

    const faulted = simulator.log.filter((entry) => entry.fault !== undefined);
    expect(faulted.length).toBeGreaterThan(3);
    expect(retries).toHaveLength(faulted.length);
    expect(new Set(retries.map((event) => event.reason))).toEqual(new Set(faulted.map((entry) => ({ status500: 'status', status503: 'retry-after', status429: 'retry-after', reset: 'reset', truncate: 'truncated' })[entry.fault as string]!)));
    expect(fetcher.stats.requests).toBe(simulator.log.length);
    expectPoliteLog();
  });

  it('stops at the first WAF challenge, even on robots.txt', async () => {
    simulator.setFaults({ challenge: true, routes: /^\/list/ });
    await expect(fetcher.get('/list')).rejects.toBeInstanceOf(ChallengeError);
    expect(simulator.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/list']);

    const wary = new PoliteFetcher({ baseUrl: simulator.url, ratePerSecond: 1000 / INTERVAL_MS });
    simulator.clearLog();
    simulator.setFaults({ challenge: true });
    try {
      await expect(wary.get('/list')).rejects.toThrow(/robots\.txt with a bot challenge.*does not work around/);
      await expect(wary.get('/body')).rejects.toBeInstanceOf(ChallengeError);
      expect(simulator.log.map((entry) => entry.path)).toEqual(['/robots.txt']);
    } finally {
      await wary.close();
    }
  });
});
