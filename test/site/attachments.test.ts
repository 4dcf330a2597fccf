import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type GroundTruth, type GroundTruthAttachment, type GroundTruthRequest, type Simulator } from '../../fixtures/site/index.js';
import { get, text } from './helpers.js';

let sim: Simulator;
let truth: GroundTruth;

beforeAll(async () => {
  sim = await startSimulator({ requests: 20, maskingMs: 300 });
  truth = sim.groundTruth();
});
afterAll(() => sim.close());

function visibleAttachments(): { request: GroundTruthRequest; incomingId: number; attachment: GroundTruthAttachment }[] {
  return truth.requests.flatMap((request) => request.events.flatMap((event) => event.attachments
    .filter((attachment) => !attachment.hidden)
    .map((attachment) => ({ request, incomingId: event.id, attachment }))));
}

/** Follows the masking interstitial the way a patient client would: retry the original URL after a pause. */
async function download(url: string): Promise<Response> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await fetch(url, { redirect: 'manual' });
    if (response.status !== 302) return response;
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`still masking: ${url}`);
}

describe('attachments', () => {
  it('downloads every visible attachment with the ground-truth sha256, size and content type', async () => {
    const all = visibleAttachments();
    expect(all.length).toBeGreaterThan(5);
    for (const { attachment } of all) {
      const response = await download(attachment.url);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(attachment.sha256);
      expect(bytes.length).toBe(attachment.size);
      expect(response.headers.get('content-type')).toBe(attachment.contentType);
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${attachment.filename}"`);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.headers.get('etag')).toBeTruthy();
    }
  });

  it('shows display filenames normalised: only letters, digits, dots and single spaces', () => {
    for (const { attachment } of visibleAttachments()) {
      expect(attachment.filename).toMatch(/^[A-Za-z0-9.]+( [A-Za-z0-9.]+)*$/);
      expect(attachment.url).toContain(`/${encodeURIComponent(attachment.filename)}?cookie_passthrough=1`);
    }
  });

  it('numbers parts from 2 upwards with gaps where a multipart/alternative body takes two parts', () => {
    const parts = visibleAttachments().map(({ attachment }) => attachment.part);
    expect(Math.min(...parts)).toBeGreaterThanOrEqual(2);
    expect(parts.some((part) => part >= 3)).toBe(true);
  });

  it('masks on first fetch: 302 to a noindex wait page that refreshes, then done, then the file', async () => {
    const fresh = await startSimulator({ requests: 20, maskingMs: 400 });
    try {
      const urls = visibleAttachments().map(({ attachment }) => attachment.url.replace(sim.url, fresh.url));
      let wait: string | null = null;
      let masked = '';
      for (const url of urls) {
        const response = await fetch(url, { redirect: 'manual' });
        await response.arrayBuffer();
        if (response.status === 302) {
          wait = response.headers.get('location');
          masked = url;
          break;
        }
      }
      expect(wait).toMatch(/^\/attachments\/[^/]+\/wait\?referer=/);
      const page = await text(fresh, wait!);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-robots-tag')).toBe('noindex');
      expect(page.body).toContain('<meta http-equiv="refresh" content="2">');
      await new Promise((resolve) => setTimeout(resolve, 450));
      const ready = await get(fresh, wait!);
      expect(ready.status).toBe(302);
      expect(ready.headers.get('location')).toMatch(/^\/attachments\/[^/]+\/done\?referer=/);
      const done = await text(fresh, ready.headers.get('location')!);
      expect(done.body).toContain('Attachment available for download.');
      expect(done.body).toContain(new URL(masked).pathname);
      expect((await fetch(masked, { redirect: 'manual' })).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('303s a wrong filename to the message, 403s a missing filename, 301s numeric request ids', async () => {
    const { request, incomingId, attachment } = visibleAttachments()[0]!;
    const base = `/request/${request.urlTitle}/response/${incomingId}/attach/${attachment.part}`;
    const wrong = await get(sim, `${base}/not%20the%20name.pdf`);
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe(`/request/${request.urlTitle}#incoming-${incomingId}`);
    const bare = await text(sim, `${base}/`);
    expect(bare.status).toBe(403);
    expect(bare.body).toBe('Directory listing not allowed');
    const numeric = await get(sim, `/request/${request.id}/response/${incomingId}/attach/${attachment.part}/${encodeURIComponent(attachment.filename)}?cookie_passthrough=1`);
    expect(numeric.status).toBe(301);
    expect(numeric.headers.get('location')).toBe(new URL(attachment.url).pathname + new URL(attachment.url).search);
  });

  it('lists hidden attachments without a name or link, and JSON still lists their message', async () => {
    const hidden = truth.requests.flatMap((request) => request.events.flatMap((event) => event.attachments.filter((a) => a.hidden).map((a) => ({ request, event, a }))));
    expect(hidden.length).toBeGreaterThan(0);
    const { request, event, a } = hidden[0]!;
    const page = await text(sim, `/request/${request.urlTitle}`);
    const item = new RegExp(`<li class="attachment" id="attachment-${a.id}">(.*?)</li>`, 's').exec(page.body)![1]!;
    expect(item).toContain('<span class="hidden_attachment">');
    expect(item).not.toContain('href="/request');
    const json = (await (await get(sim, `/request/${request.urlTitle}.json`)).json()) as { info_request_events: { incoming_message_id: number | null }[] };
    expect(json.info_request_events.some((e) => e.incoming_message_id === event.id)).toBe(true);
  });

  it('keeps the header of a hidden message, drops its body, and 403s its attachment URLs', async () => {
    const request = truth.requests.find((r) => r.events.some((e) => e.kind === 'incoming' && e.hidden))!;
    const event = request.events.find((e) => e.kind === 'incoming' && e.hidden)!;
    const page = await text(sim, `/request/${request.urlTitle}`);
    const block = new RegExp(`<div class="incoming correspondence hidden js-collapsible" id="incoming-${event.id}">(.*?)\\n</div>`, 's').exec(page.body)![1]!;
    expect(block).toContain('correspondence__header__date');
    expect(block).toContain('<p id="hidden_message" class="hidden_message">This message has been hidden.');
    expect(block).not.toContain('correspondence_text');
    const removed = await text(sim, `/request/${request.urlTitle}/response/${event.id}/attach/2/anything.pdf`);
    expect(removed.status).toBe(403);
    expect(removed.body).toContain('<h1>Message has been removed</h1>');
  });

  it('offers an HTML view of text and PDF attachments', async () => {
    const found = visibleAttachments().find(({ attachment }) => attachment.contentType === 'application/pdf')!;
    const view = new URL(found.attachment.url).pathname.replace('/attach/', '/attach/html/') + '.html';
    const page = await text(sim, view);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<body id="wrapper_embed">');
    expect(page.body).toContain(`<iframe src="${found.attachment.url.replace(/&/g, '&amp;')}"`);
  });
});
