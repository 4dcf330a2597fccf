import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';

const LATENCY_MS = 150;
let prompt: Simulator;
let slow: Simulator;

beforeAll(async () => {
  [prompt, slow] = await Promise.all([
    startSimulator({ requests: 12, seed: 3, maskingMs: 0 }),
    startSimulator({ requests: 12, seed: 3, maskingMs: 0, latencyMs: LATENCY_MS }),
  ]);
});
afterAll(() => Promise.all([prompt.close(), slow.close()]));

async function timedGet(sim: Simulator, path: string): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  const response = await fetch(`${sim.url}${path}`, { redirect: 'manual' });
  // Absolute links (plain and percent-encoded) carry the port, which differs between simulators.
  const body = (await response.text()).replaceAll(sim.url, 'ORIGIN').replaceAll(encodeURIComponent(sim.url), 'ORIGIN');
  return { ms: performance.now() - started, status: response.status, body };
}

describe('latencyMs', () => {
  it('holds every answer back that long and changes nothing in it', async () => {
    const urlTitle = prompt.groundTruth().requests[0]!.urlTitle;
    for (const path of ['/robots.txt', `/request/${urlTitle}.json`, `/request/${urlTitle}`, '/no/such/page']) {
      const [fast, delayed] = [await timedGet(prompt, path), await timedGet(slow, path)];
      expect(delayed.ms, path).toBeGreaterThanOrEqual(LATENCY_MS - 2);
      expect({ status: delayed.status, body: delayed.body }, path).toEqual({ status: fast.status, body: fast.body });
    }
  });

  it('refuses a negative latency', async () => {
    await expect(startSimulator({ requests: 1, latencyMs: -1 })).rejects.toThrow(/latencyMs must be ≥ 0/);
  });
});
