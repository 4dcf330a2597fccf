import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type GroundTruthAttachment, type Simulator } from '../../fixtures/site/index.js';
import { get, text } from './helpers.js';

const BYTES = 5 * 1024 * 1024 + 3;

describe('the largeAttachmentBytes option', () => {
  let sim: Simulator;
  let large: GroundTruthAttachment;
  let slug: string;

  beforeAll(async () => {
    sim = await startSimulator({ requests: 20, largeAttachmentBytes: BYTES });
    const found = sim.groundTruth().requests.flatMap((request) =>
      request.events.flatMap((event) => event.attachments.filter((a) => a.size === BYTES).map((attachment) => ({ request, attachment }))),
    );
    expect(found).toHaveLength(1);
    large = found[0]!.attachment;
    slug = found[0]!.request.urlTitle;
  });
  afterAll(() => sim.close());

  it('serves exactly the bytes the ground truth describes, with their length', async () => {
    const response = await get(sim, new URL(large.url).pathname + new URL(large.url).search);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(BYTES));
    expect(response.headers.get('etag')).toBeNull();
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(BYTES);
    expect(createHash('sha256').update(body).digest('hex')).toBe(large.sha256);
    expect(large.filename).toBe('large-export.bin');
  });

  it('lists it on its thread page with its size and download link', async () => {
    const page = await text(sim, `/request/${slug}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(new URL(large.url).pathname);
    expect(page.body).toMatch(/\s5\.0M\s/);
  });

  it('leaves the site unchanged when not asked for', async () => {
    const plain = await startSimulator({ requests: 20 });
    try {
      const sizes = plain.groundTruth().requests.flatMap((r) => r.events.flatMap((e) => e.attachments.map((a) => a.size)));
      expect(sizes).not.toContain(BYTES);
    } finally {
      await plain.close();
    }
  });
});
