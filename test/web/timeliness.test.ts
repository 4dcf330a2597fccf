import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive, ReconcileInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';

const HACKNEY = { urlName: 'hackney_council', name: 'Hackney Council' };
const CAMDEN = { urlName: 'camden_council', name: 'Camden Council' };

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;

type JsonEvent = { event_type: string; created_at: string; display_status?: string; calculated_state?: string };

/** A thread sent at `sent`, whose JSON has these further events. */
function thread(remoteId: number, urlTitle: string, authority: typeof HACKNEY, sent: string, events: JsonEvent[], prominence = 'normal'): ReconcileInput {
  return {
    remoteId,
    urlTitle,
    title: `Parking fines: ${urlTitle}`,
    authority,
    requester: { urlName: 'sam_roe', name: 'Sam Roe' },
    status: 'waiting_response',
    prominence,
    remoteCreatedAt: new Date(sent),
    events: [{ kind: 'outgoing', messageId: remoteId * 10, time: new Date(sent), author: 'Sam Roe', hidden: false, text: 'How many fines?', attachments: [] }],
    raw: { id: remoteId, info_request_events: [{ id: remoteId * 10, event_type: 'sent', created_at: sent }, ...events.map((e, i) => ({ id: remoteId * 10 + i + 1, ...e }))] },
  };
}
const response = (at: string, state = 'successful'): JsonEvent => ({ event_type: 'response', created_at: at, calculated_state: state });

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const store = (input: ReconcileInput) => archive.reconcileRequest(siteId, input, {});
  // Hackney: one on time (Easter 2024 in its 20 days), one late with a review asked for, one never answered.
  await store(thread(1, 'fines_2023', HACKNEY, '2024-03-20T10:00:00.000+00:00', [response('2024-04-19T09:00:00.000+01:00')]));
  await store(thread(2, 'fines_2022', HACKNEY, '2024-03-20T10:00:00.000+00:00', [
    { event_type: 'overdue', created_at: '2024-04-20T00:00:00.000+01:00' },
    response('2024-04-22T09:00:00.000+01:00', 'waiting_response'),
    response('2024-05-01T09:00:00.000+01:00', 'rejected'),
    { event_type: 'followup_sent', created_at: '2024-05-02T09:00:00.000+01:00', display_status: 'Internal review request' },
  ]));
  await store(thread(3, 'fines_2021', HACKNEY, '2024-01-10T10:00:00.000+00:00', [{ event_type: 'overdue', created_at: '2024-02-08T00:00:00.000+00:00' }]));
  // Camden answered in three days; its backpage request is not counted.
  await store(thread(4, 'camden_fines', CAMDEN, '2024-06-03T09:00:00.000+01:00', [response('2024-06-06T15:00:00.000+01:00')]));
  await store(thread(5, 'camden_backpage', CAMDEN, '2024-01-10T10:00:00.000+00:00', [], 'backpage'));
  await store(thread(6, 'camden_resent', CAMDEN, '2024-03-20T10:00:00.000+00:00', [
    { event_type: 'resent', created_at: '2024-03-25T10:00:00.000+00:00' },
    response('2024-04-22T09:00:00.000+01:00'),
  ], 'backpage'));
  app = createApp(archive);
});
afterAll(async () => cleanup());

const get = (url: string) => app.request(url);

describe("a request's page and JSON", () => {
  it('say when it was sent, when it was due and how promptly it was first answered', async () => {
    const body = await (await get('/request/fines_2022')).text();
    expect(body).toContain('<dt>Timeliness</dt><dd>sent 2024-03-20, due by 2024-04-19; first reply 2024-04-22, after 21 working days: <strong>late</strong>'
      + '; answered 2024-05-01, after 28 working days; the site marked it overdue; an internal review was requested (<a href="/timeliness">how it is counted</a>)</dd>');
    expect(await (await get('/request/fines_2021')).text()).toContain('due by 2024-02-07; <strong>no reply</strong>, past the due date; the site marked it overdue');
    expect(await (await get('/request/fines_2023')).text()).toContain('first reply 2024-04-19, after 20 working days: <strong>on time</strong>');
    expect(await (await get('/request/camden_resent')).text()).toContain('sent 2024-03-20, resent or clarified 2024-03-25, due by 2024-04-24; first reply 2024-04-22, after 18 working days');
    const json = (await (await get('/api/request/fines_2022')).json()) as { timeliness: Record<string, unknown> };
    expect(json.timeliness).toEqual({
      sentAt: '2024-03-20T10:00:00.000Z', sentOn: '2024-03-20', clockStartedAt: '2024-03-20T10:00:00.000Z', clockStartedOn: '2024-03-20', dueOn: '2024-04-19',
      firstResponseAt: '2024-04-22T08:00:00.000Z', firstResponseOn: '2024-04-22', responseWorkingDays: 21, outcome: 'late',
      firstAnswerAt: '2024-05-01T08:00:00.000Z', firstAnswerOn: '2024-05-01', answerWorkingDays: 28,
      siteOverdue: 'overdue', internalReviewRequested: true,
    });
  });
});

describe('the timeliness page and API', () => {
  it('tally the listed requests, and each authority busiest first or most often late first', async () => {
    const json = (await (await get('/api/timeliness')).json()) as { requests: number; onTime: number; late: number; overdue: number; medianWorkingDays: number;
      total: number; authorities: { authority: { urlName: string }; requests: number; onTime: number }[] };
    expect(json).toMatchObject({ requests: 4, onTime: 2, late: 1, overdue: 1, medianWorkingDays: 20, total: 2 });
    expect(json.authorities.map((a) => [a.authority.urlName, a.requests, a.onTime])).toEqual([['hackney_council', 3, 1], ['camden_council', 1, 1]]);
    const late = (await (await get('/api/timeliness?order=late&limit=1')).json()) as typeof json;
    expect([late.total, late.authorities.map((a) => a.authority.urlName)]).toEqual([2, ['hackney_council']]);
    const second = (await (await get('/api/timeliness?order=late&limit=1&offset=1')).json()) as typeof json;
    expect(second.authorities.map((a) => a.authority.urlName)).toEqual(['camden_council']);
    expect(((await (await get('/api/timeliness?min=2')).json()) as typeof json).authorities.map((a) => a.authority.urlName)).toEqual(['hackney_council']);
    const june = (await (await get('/api/timeliness?from=2024-06-01')).json()) as typeof json;
    expect([june.requests, june.authorities.map((a) => a.authority.urlName)]).toEqual([1, ['camden_council']]);
  });

  it('the page shows the same as tables, keeps its choices, and refuses a malformed one', async () => {
    const body = await (await get('/timeliness?order=late&min=1&from=2024-01-01&limit=1')).text();
    expect(body).toContain('<h2>All requests sent from 2024-01-01</h2>');
    expect(body).toContain('<tr><th>First reply within 20 working days</th><td><a href="/search?from=2024-01-01&amp;timeliness=on_time">2</a> (50% of the 4 due)</td></tr>');
    expect(body).toContain('<tr><th>An answer, as its requester classified it, within 20 working days</th><td>2 (67% of the 3 answered)</td></tr>');
    expect(body).toContain('<tr><td><a href="/authority/hackney_council">Hackney Council</a></td><td>3</td><td>1 (33%)</td>'
      + '<td><a href="/search?from=2024-01-01&amp;authority=hackney_council&amp;timeliness=late">1</a></td>'
      + '<td><a href="/search?from=2024-01-01&amp;authority=hackney_council&amp;timeliness=overdue">1</a></td><td>20</td><td>1 of 2</td><td>2</td><td>1</td></tr>');
    expect(body).not.toContain('Camden Council');
    expect(body).toContain('<a rel="next" href="/timeliness?order=late&amp;min=1&amp;from=2024-01-01&amp;page=2">');
    expect(body).toContain('<option value="late" selected>');
    expect(body).toContain('<input type="date" name="from" value="2024-01-01">');
    for (const bad of ['/timeliness?order=slowest', '/api/timeliness?min=0', '/api/timeliness?from=2024-02-30', '/timeliness?offset=20']) {
      expect((await get(bad)).status, bad).toBe(400);
    }
  });

  it('each count finds its requests in search, the feed and exports, which take the same filter', async () => {
    const tally = (await (await get('/api/timeliness')).json()) as Record<string, number>;
    const counts = { on_time: tally['onTime'], late: tally['late'], overdue: tally['overdue'], waiting: tally['waiting'] };
    for (const [outcome, count] of Object.entries(counts)) {
      const found = (await (await get(`/api/search?timeliness=${outcome}`)).json()) as { total: number };
      expect([outcome, found.total]).toEqual([outcome, count]);
    }
    const late = (await (await get('/api/search?timeliness=late')).json()) as { hits: { urlTitle: string }[] };
    expect(late.hits.map((hit) => hit.urlTitle)).toEqual(['fines_2022']);
    expect(await (await get('/search?timeliness=overdue')).text()).toContain('<option value="overdue" selected>none, past the due date</option>');
    expect(await (await get('/search.atom?timeliness=late')).text()).toContain('fines_2022');
    expect((await (await get('/export.jsonl?timeliness=on_time')).text()).trim().split('\n').map((line) => (JSON.parse(line) as { urlTitle: string }).urlTitle).sort())
      .toEqual(['camden_fines', 'fines_2023']);
    expect((await get('/api/search?timeliness=slow')).status).toBe(400);
  });

  it("an authority's page and JSON give its own", async () => {
    const body = await (await get('/authority/hackney_council')).text();
    expect(body).toContain('<h2>Timeliness</h2>');
    expect(body).toContain('<tr><th>Requests counted</th><td>3</td></tr>');
    expect(body).toContain('<tr><th>Internal reviews requested</th><td>1</td></tr>');
    const json = (await (await get('/api/authority/camden_council')).json()) as { timeliness: { requests: number; medianWorkingDays: number } };
    expect(json.timeliness).toMatchObject({ requests: 1, medianWorkingDays: 3 });
  });

  it('exports carry each request\'s dates', async () => {
    const csv = (await (await get('/export.csv?authority=hackney_council')).text()).trim().split(/\r?\n/);
    const header = csv[0]!.split(',');
    const late = csv.find((line) => line.includes('fines_2022'))!.split(',');
    const column = (name: string) => late[header.indexOf(name)];
    expect(['sent_on', 'due_on', 'first_response_on', 'response_working_days', 'first_answer_on', 'answer_working_days', 'site_overdue', 'internal_review_requested'].map(column))
      .toEqual(['2024-03-20', '2024-04-19', '2024-04-22', '21', '2024-05-01', '28', 'overdue', 'true']);
    const jsonl = (await (await get('/export.jsonl?authority=hackney_council')).text()).trim().split('\n').map((line) => JSON.parse(line) as { urlTitle: string; timeliness: unknown });
    expect(jsonl.find((row) => row.urlTitle === 'fines_2021')!.timeliness).toEqual({
      sentOn: '2024-01-10', clockStartedOn: '2024-01-10', dueOn: '2024-02-07', firstResponseOn: null, responseWorkingDays: null, firstAnswerOn: null, answerWorkingDays: null,
      siteOverdue: 'overdue', internalReviewRequested: false,
    });
  });

  it('is described in the OpenAPI document and linked from every page', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(doc.paths).toHaveProperty(['/api/timeliness']);
    expect(await (await get('/exemptions')).text()).toContain('<a href="/timeliness">Timeliness</a>');
  });
});
