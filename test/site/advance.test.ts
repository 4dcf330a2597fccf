import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type ChangeSummary, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import { get, text } from './helpers.js';

let sim: Simulator;
let before: GroundTruth;
let after: GroundTruth;
let changes: ChangeSummary;
let start: Date;

beforeAll(async () => {
  sim = await startSimulator({ requests: 60, seed: 5, maskingMs: 0 });
  start = sim.now();
  before = sim.groundTruth();
  changes = sim.advance(2);
  after = sim.groundTruth();
});
afterAll(() => sim.close());

describe('advance()', () => {
  it('moves the site clock', () => {
    expect(sim.now().getTime() - start.getTime()).toBe(2 * 86_400_000);
  });

  it('adds new requests that appear at the top of /list and in JSON', async () => {
    expect(changes.newRequests.length).toBeGreaterThan(0);
    const newest = after.requests.find((r) => r.id === Math.max(...changes.newRequests))!;
    expect(newest.status).toBe('waiting_response');
    const list = await text(sim, '/list');
    const firstTime = /<div class="requester">.*?<time datetime="([^"]+)"/.exec(list.body)![1]!;
    expect(Date.parse(firstTime)).toBeGreaterThan(start.getTime());
    expect(list.body).toContain(`/request/${newest.urlTitle}`);
    expect((await get(sim, `/request/${newest.urlTitle}.json`)).status).toBe(200);
  });

  it('adds responses with attachments and marks the request awaiting classification', async () => {
    expect(changes.newResponses.length).toBeGreaterThan(0);
    const { requestId, incomingId } = changes.newResponses[0]!;
    const request = after.requests.find((r) => r.id === requestId)!;
    expect(request.status).toBe('waiting_classification');
    const event = request.events.find((e) => e.kind === 'incoming' && e.id === incomingId)!;
    expect(event.attachments.length).toBeGreaterThan(0);
    const json = (await (await get(sim, `/request/${request.urlTitle}.json`)).json()) as { awaiting_description: boolean; updated_at: string };
    expect(json.awaiting_description).toBe(true);
    const old = before.requests.find((r) => r.id === requestId)!;
    expect(json.updated_at).not.toBe(old.updatedAt);
    expect((await text(sim, `/request/${request.urlTitle}`)).body).toContain(`id="incoming-${incomingId}"`);
  });

  it('reports status changes that the pages show', async () => {
    expect(changes.statusChanges.length).toBeGreaterThan(0);
    for (const id of changes.statusChanges.slice(0, 5)) {
      const old = before.requests.find((r) => r.id === id);
      const now = after.requests.find((r) => r.id === id);
      if (!old || !now) continue;
      expect(now.status).not.toBe(old.status);
      expect((await text(sim, `/request/${now.urlTitle}`)).body).toContain(`request-status-message--${now.status}`);
    }
  });

  it('hides one request: 403 page, gone from ground truth and listings', async () => {
    expect(changes.hidden).toHaveLength(1);
    const hidden = before.requests.find((r) => r.id === changes.hidden[0])!;
    expect((await get(sim, `/request/${hidden.urlTitle}`)).status).toBe(403);
    expect((await get(sim, `/request/${hidden.id}`)).status).toBe(404);
    expect(after.requests.some((r) => r.id === hidden.id)).toBe(false);
    expect((await text(sim, `/body/${hidden.authority.urlName}`)).body).not.toContain(`/request/${hidden.urlTitle}"`);
  });

  it('renames one request: the old slug 404s, the numeric id points at the new one', async () => {
    expect(changes.renamed).toHaveLength(1);
    const { requestId, from, to } = changes.renamed[0]!;
    expect((await get(sim, `/request/${from}`)).status).toBe(404);
    expect((await get(sim, `/request/${to}`)).status).toBe(200);
    expect((await get(sim, `/request/${requestId}`)).headers.get('location')).toBe(`/request/${to}`);
  });

  it('hides one attachment: its URL now 403s and the page shows the hidden notice', async () => {
    expect(changes.hiddenAttachments).toHaveLength(1);
    const { requestId, attachmentId } = changes.hiddenAttachments[0]!;
    const old = before.requests.find((r) => r.id === requestId)!.events.flatMap((e) => e.attachments).find((a) => a.id === attachmentId)!;
    const response = await text(sim, new URL(old.url).pathname + new URL(old.url).search);
    expect(response.status).toBe(403);
    expect(response.body).toContain('<h1>Attachment has been removed</h1>');
    const now = after.requests.find((r) => r.id === requestId)!.events.flatMap((e) => e.attachments).find((a) => a.id === attachmentId)!;
    expect(now.hidden).toBe(true);
  });
});

describe('advance() over weeks', () => {
  it('logs an overdue or very_overdue event for each request left waiting past its limit, as the site does', { timeout: 120_000 }, async () => {
    const weeks = await startSimulator({ requests: 400, seed: 5, maskingMs: 0 });
    try {
      for (let day = 0; day < 40; day++) weeks.advance(1);
      const late = weeks.groundTruth().requests.filter((r) => r.status === 'waiting_response_overdue' || r.status === 'waiting_response_very_overdue');
      expect(late.length).toBeGreaterThan(0);
      for (const request of late) {
        const json = (await (await get(weeks, `/request/${request.urlTitle}.json`)).json()) as { info_request_events: { event_type: string }[] };
        const types = json.info_request_events.map((event) => event.event_type);
        expect(types, `${request.urlTitle} (${request.status})`).toContain(request.status === 'waiting_response_overdue' ? 'overdue' : 'very_overdue');
      }
    } finally {
      await weeks.close();
    }
  });
});
