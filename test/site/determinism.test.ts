import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';

let first: Simulator;
let second: Simulator;
let other: Simulator;

beforeAll(async () => {
  [first, second, other] = await Promise.all([
    startSimulator({ requests: 30, seed: 3, maskingMs: 0 }),
    startSimulator({ requests: 30, seed: 3, maskingMs: 0 }),
    startSimulator({ requests: 30, seed: 4, maskingMs: 0 }),
  ]);
});
afterAll(() => Promise.all([first.close(), second.close(), other.close()]));

/** Absolute links (plain and percent-encoded) carry the port, which differs between simulators. */
async function body(sim: Simulator, path: string): Promise<string> {
  const response = await fetch(`${sim.url}${path}`, { redirect: 'manual' });
  return Buffer.from(await response.arrayBuffer()).toString('latin1').replaceAll(sim.url, 'ORIGIN').replaceAll(encodeURIComponent(sim.url), 'ORIGIN');
}

describe('determinism', () => {
  it('gives the same pages, JSON and attachment bytes for the same seed and size', async () => {
    const truth = first.groundTruth();
    const request = truth.requests.find((r) => r.events.some((e) => e.attachments.some((a) => !a.hidden)))!;
    const attachment = request.events.flatMap((e) => e.attachments).find((a) => !a.hidden)!;
    const path = new URL(attachment.url).pathname + new URL(attachment.url).search;
    for (const page of ['/list', `/request/${request.urlTitle}`, `/request/${request.urlTitle}.json`, `/body/${request.authority.urlName}`, '/body/all-authorities.csv', path]) {
      expect(await body(first, page), page).toBe(await body(second, page));
    }
    expect(JSON.stringify(second.groundTruth()).replaceAll(second.url, 'O')).toBe(JSON.stringify(truth).replaceAll(first.url, 'O'));
  });

  it('stays identical after the same advance() calls', async () => {
    expect(first.advance(3)).toEqual(second.advance(3));
    expect(await body(first, '/list')).toBe(await body(second, '/list'));
  });

  it('differs for another seed', async () => {
    expect(await body(other, '/list')).not.toBe(await body(first, '/list'));
  });
});
