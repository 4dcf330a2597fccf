import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { get } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ requests: 20 });
});
afterAll(() => sim.close());

describe('faults', () => {
  it('answers 429 and 503 with Retry-After, and 500 with the error page', async () => {
    sim.setFaults({ rate: 1, kinds: ['status429'], retryAfterSeconds: 7 });
    const limited = await get(sim, '/list');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    sim.setFaults({ rate: 1, kinds: ['status503'] });
    const unavailable = await get(sim, '/list');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    sim.setFaults({ rate: 1, kinds: ['status500'] });
    const broken = await get(sim, '/list');
    expect(broken.status).toBe(500);
    expect(await broken.text()).toContain('Sorry, there was a problem processing this page');
    expect(sim.log.at(-1)!.fault).toBe('status500');
  });

  it('answers a maintenance page with 200, whatever was asked for', async () => {
    sim.setFaults({ rate: 1, kinds: ['maintenance'], routes: /\.json$/ });
    const json = await get(sim, `/request/${sim.groundTruth().requests[0]!.urlTitle}.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await json.text()).toContain('down for maintenance');
    expect(sim.log.at(-1)!.fault).toBe('maintenance');
  });

  it('resets the connection without a response', async () => {
    sim.setFaults({ rate: 1, kinds: ['reset'] });
    await expect(fetch(`${sim.url}/list`)).rejects.toThrow();
    expect(sim.log.at(-1)!.fault).toBe('reset');
  });

  it('truncates: declares the full Content-Length then closes half way', async () => {
    sim.setFaults(undefined);
    const full = await get(sim, '/list');
    const length = Number(full.headers.get('content-length'));
    await full.arrayBuffer();
    sim.setFaults({ rate: 1, kinds: ['truncate'] });
    const response = await get(sim, '/list');
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(length);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it('delays slow responses by slowMs', async () => {
    // robots.txt is never faulted; the margin between the two is wide so a loaded machine cannot blur it.
    sim.setFaults({ rate: 1, kinds: ['slow'], slowMs: 1500 });
    const started = Date.now();
    const response = await get(sim, '/robots.txt');
    await response.text();
    expect(Date.now() - started).toBeLessThan(1000);
    const slowStart = Date.now();
    const slow = await get(sim, '/list');
    expect(slow.status).toBe(200);
    await slow.text();
    expect(Date.now() - slowStart).toBeGreaterThanOrEqual(1480);
  });

  it('serves a WAF challenge page with cf-mitigated for every URL when challenge is on', async () => {
    sim.setFaults({ challenge: true });
    for (const path of ['/list', '/robots.txt', '/request/1.json']) {
      const response = await get(sim, path);
      expect(response.status).toBe(403);
      expect(response.headers.get('cf-mitigated')).toBe('challenge');
      expect(await response.text()).toContain('<title>Just a moment...</title>');
    }
  });

  it('faults only matching routes, at roughly the given rate, so retries eventually succeed', async () => {
    sim.setFaults({ rate: 0.5, kinds: ['status503'], routes: /^\/list/, seed: 11 });
    expect((await get(sim, '/body')).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await get(sim, '/list');
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    const failures = statuses.filter((status) => status === 503).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    sim.setFaults(undefined);
  });

  it('logs every request with method, path, status, user agent, headers and open connections', async () => {
    sim.clearLog();
    await (await get(sim, '/list?page=2', { 'user-agent': 'wdtk-archive-test/1.0 (+ops@example.org)' })).text();
    expect(sim.log).toHaveLength(1);
    const entry = sim.log[0]!;
    expect(entry).toMatchObject({ method: 'GET', path: '/list?page=2', status: 200, userAgent: 'wdtk-archive-test/1.0 (+ops@example.org)' });
    expect(entry.concurrent).toBeGreaterThanOrEqual(1);
    expect(entry.headers['user-agent']).toBe('wdtk-archive-test/1.0 (+ops@example.org)');
    expect(Math.abs(entry.time - Date.now())).toBeLessThan(5000);
  });
});
