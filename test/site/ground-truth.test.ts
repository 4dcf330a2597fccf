import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import { get, text } from './helpers.js';

let sim: Simulator;
let truth: GroundTruth;

beforeAll(async () => {
  sim = await startSimulator({ requests: 20 });
  truth = sim.groundTruth();
});
afterAll(() => sim.close());

const STATUSES = [
  'waiting_classification', 'waiting_response', 'waiting_response_overdue', 'waiting_response_very_overdue', 'waiting_clarification',
  'gone_postal', 'not_held', 'rejected', 'successful', 'partially_successful', 'internal_review', 'error_message', 'requires_admin',
  'user_withdrawn', 'attention_requested', 'vexatious', 'not_foi',
];

describe('ground truth of a 20-request site', () => {
  it('matches every public request page: event ids, times, attachment links and status', async () => {
    for (const request of truth.requests) {
      const page = await text(sim, `/request/${request.urlTitle}?unfold=1`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(`request-status-message--${request.status}`);
      for (const event of request.events) {
        if (event.kind === 'comment' && event.hidden) {
          expect(page.body).not.toContain(`id="comment-${event.id}"`);
          continue;
        }
        expect(page.body).toContain(`id="${event.kind}-${event.id}"`);
        expect(page.body).toContain(`<time datetime="${event.time}"`);
        for (const attachment of event.attachments) {
          expect(page.body).toContain(`id="attachment-${attachment.id}"`);
          if (!attachment.hidden) expect(page.body).toContain(`href="${new URL(attachment.url).pathname}${new URL(attachment.url).search}"`);
        }
      }
      const json = (await (await get(sim, `/request/${request.urlTitle}.json`)).json()) as { id: number; described_state: string; info_request_events: { id: number }[] };
      expect(json.id).toBe(request.id);
      expect(json.described_state).toBe(request.describedState);
      const eventIds = new Set(json.info_request_events.map((event) => event.id));
      for (const event of request.events) expect(eventIds.has(event.eventId)).toBe(true);
    }
  });

  it('covers every calculated status, both prominences, hidden messages, comments and attachments', () => {
    const statuses = new Set(truth.requests.map((r) => r.status));
    const hiddenStatuses = STATUSES.filter((status) => !statuses.has(status));
    // four of the seventeen forced statuses belong to the hidden, requester_only, embargoed and backpage requests
    expect(hiddenStatuses.length).toBeLessThanOrEqual(3);
    expect(truth.requests.some((r) => r.prominence === 'backpage')).toBe(true);
    const events = truth.requests.flatMap((r) => r.events);
    expect(events.some((e) => e.kind === 'incoming' && e.hidden)).toBe(true);
    expect(events.some((e) => e.kind === 'comment' && e.hidden)).toBe(true);
    expect(events.some((e) => e.kind === 'comment' && !e.hidden)).toBe(true);
    expect(events.some((e) => e.attachments.some((a) => a.hidden))).toBe(true);
    expect(truth.requests.some((r) => r.requester === null)).toBe(true);
  });

  it('folds quoted sections by default and shows them with ?unfold=1', async () => {
    const request = truth.requests.find((r) => r.events.some((e) => e.kind === 'incoming' && !e.hidden && e.text.includes('**********')))
      ?? truth.requests.find((r) => r.events.some((e) => e.kind === 'incoming' && !e.hidden))!;
    const folded = await text(sim, `/request/${request.urlTitle}`);
    const unfolded = await text(sim, `/request/${request.urlTitle}?unfold=1`);
    const incoming = request.events.find((e) => e.kind === 'incoming' && !e.hidden)!;
    const link = `<span class="unfold_link"><a href="?unfold=1#incoming-${incoming.id}">show quoted sections</a></span>`;
    if (folded.body.includes(link)) {
      expect(unfolded.body).toContain(`<span class="unfold_link"><a href="?#incoming-${incoming.id}">hide quoted sections</a></span>`);
      expect(unfolded.body.length).toBeGreaterThan(folded.body.length);
    }
    const anyFolded = await Promise.all(truth.requests.map(async (r) => (await text(sim, `/request/${r.urlTitle}`)).body.includes('show quoted sections')));
    expect(anyFolded.some(Boolean)).toBe(true);
  });

  it('renders text that matches the ground truth once HTML is stripped', async () => {
    const request = truth.requests.find((r) => r.events.some((e) => e.kind === 'outgoing'))!;
    const outgoing = request.events.find((e) => e.kind === 'outgoing')!;
    const page = await text(sim, `/request/${request.urlTitle}?unfold=1`);
    const block = new RegExp(`id="outgoing-${outgoing.id}">.*?<div class="correspondence_text"><div>(.*?)</div></div>`, 's').exec(page.body)![1]!;
    const plain = block.replace(/<br \/>/g, '').replace(/<\/p>\s*<p>/g, '\n\n').replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    expect(plain.replace(/\s+/g, ' ').trim()).toBe(outgoing.text.replace(/\s+/g, ' ').trim());
  });

  it('uses Europe/London offsets in time[datetime]', () => {
    const times = truth.requests.flatMap((r) => r.events.map((e) => e.time));
    expect(times.some((time) => time.endsWith('+01:00') && /-0[6-8]-/.test(time))).toBe(true);
    expect(times.some((time) => time.endsWith('+00:00') && /-(12|01|02)-/.test(time))).toBe(true);
    for (const time of times) expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[01]:00$/);
  });
});
