import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';

let sim: Simulator;
let truth: GroundTruth;

beforeAll(async () => {
  // No masking: an attachment is served at its first request.
  sim = await startSimulator({ requests: 30, seed: 7, maskingMs: 0 });
  truth = sim.groundTruth();
});
afterAll(() => sim.close());

/** The bytes as they come over the wire: undici's `request` decodes nothing. */
async function raw(path: string, headers: Record<string, string> = {}) {
  const response = await request(new URL(path, sim.url), { headers });
  return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}

describe('compression, as the site serves it', () => {
  const page = () => `/request/${truth.requests.find((r) => r.prominence === 'normal')!.urlTitle}`;

  it.each([
    ['a thread page', page],
    ['its JSON', () => `${page()}.json`],
    ['the authorities CSV', () => '/body/all-authorities.csv'],
    ['robots.txt', () => '/robots.txt'],
  ])('gzips %s for a client that asks, with the same ETag and the same bytes once decoded', async (_what, path) => {
    const plain = await raw(path());
    const gzipped = await raw(path(), { 'accept-encoding': 'gzip, br' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
    expect(gzipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(gzipped.headers.etag).toBe(plain.headers.etag);
  });

  it('sends a 304 for a matching ETag, compressed or not, and nothing compressed to a client that refuses gzip', async () => {
    const first = await raw(page(), { 'accept-encoding': 'gzip' });
    const again = await raw(page(), { 'accept-encoding': 'gzip', 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    for (const refusal of ['gzip;q=0', 'br', 'identity']) {
      expect((await raw(page(), { 'accept-encoding': refusal })).headers['content-encoding']).toBeUndefined();
    }
  });

  it('serves a PDF attachment as it is, whatever the client accepts', async () => {
    const pdf = truth.requests.flatMap((r) => r.events.flatMap((e) => e.attachments)).find((a) => !a.hidden && a.contentType === 'application/pdf');
    expect(pdf).toBeDefined();
    const answer = await raw(pdf!.url, { 'accept-encoding': 'gzip' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/pdf');
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.body.length).toBe(pdf!.size);
  });
});
