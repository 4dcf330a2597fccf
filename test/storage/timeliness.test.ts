import Holidays from 'date-holidays';
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Archive, ReconcileInput } from '../../storage/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, thread } from './fixtures.js';

let current: TestArchive;
let archive: Archive;
beforeAll(async () => {
  current = await openTestArchive();
  archive = current.archive;
});
afterAll(() => current.cleanup());

async function one<T>(query: SQL): Promise<T> {
  const [row] = await rowsOf<{ value: T }>(archive.db, query);
  return row!.value;
}

test('the bank holidays counted are those of every part of the UK, 2007 to 2040, as the library and the records give them', async () => {
  const expected = new Set<string>();
  for (const region of ['ENG', 'WLS', 'SCT', 'NIR']) {
    const calendar = new Holidays('GB', region);
    for (let year = 2007; year <= 2040; year++) {
      for (const holiday of calendar.getHolidays(year)) {
        if (holiday.type === 'public') expected.add(holiday.date.slice(0, 10));
      }
    }
  }
  // The library lacks the royal wedding's holiday and keeps 2012's spring holiday where it was before the jubilee moved it.
  expected.add('2011-04-29');
  expected.delete('2012-05-28');
  expected.add('2012-06-04');
  const weekdays = [...expected].filter((day) => ![0, 6].includes(new Date(`${day}T12:00:00Z`).getUTCDay())).sort();
  expect(await one<string[]>(sql`select array(select to_char(d, 'YYYY-MM-DD') from unnest(uk_bank_holidays()) d) as value`)).toEqual(weekdays);
});

/** The days the law counts, walked one by one: the reference the SQL's arithmetic is checked against. */
function referenceWorkingDays(holidays: Set<string>) {
  const isWorkingDay = (day: Date) => ![0, 6].includes(day.getUTCDay()) && !holidays.has(day.toISOString().slice(0, 10));
  const next = (day: Date) => new Date(day.getTime() + 86_400_000);
  return {
    dueOn(sent: Date): string {
      let day = sent;
      for (let left = 20; left > 0; ) if (isWorkingDay((day = next(day)))) left--;
      return day.toISOString().slice(0, 10);
    },
    between(since: Date, until: Date): number {
      let count = 0;
      for (let day = next(since); day <= until; day = next(day)) if (isWorkingDay(day)) count++;
      return count;
    },
  };
}

test('due dates and working days agree with a day-by-day count, every fifth day from 2007 to 2040', async () => {
  const holidays = new Set(await one<string[]>(sql`select array(select to_char(d, 'YYYY-MM-DD') from unnest(uk_bank_holidays()) d) as value`));
  const reference = referenceWorkingDays(holidays);
  const rows = await rowsOf<{ sent: string; due: string; spans: number[] }>(
    archive.db,
    sql`select to_char(d, 'YYYY-MM-DD') as sent, to_char(uk_working_day_after((d + time '12:00') at time zone 'Europe/London', 20), 'YYYY-MM-DD') as due,
               array(select uk_working_days_between((d + time '12:00') at time zone 'Europe/London', (d + k + time '18:00') at time zone 'Europe/London')
                     from generate_series(0, 45, 9) k) as spans
        from generate_series(date '2007-01-01', date '2040-11-30', interval '5 days') as g cross join lateral (select g::date as d) as day`,
  );
  expect(rows.length).toBeGreaterThan(2000);
  const wrong = rows.filter((row) => {
    const sent = new Date(`${row.sent}T00:00:00Z`);
    const spans = [0, 9, 18, 27, 36, 45].map((k) => reference.between(sent, new Date(sent.getTime() + k * 86_400_000)));
    return row.due !== reference.dueOn(sent) || JSON.stringify(row.spans) !== JSON.stringify(spans);
  });
  expect(wrong).toEqual([]);
});

describe('working days', () => {
  test.each([
    // Easter 2024 and St Patrick's Day's substitute before it: due on the 20th working day after the day sent
    ['2024-03-20T10:00:00Z', '2024-04-19'],
    // Christmas, Boxing Day and their substitutes, and Scotland's 2 and 3 January, 2022
    ['2022-12-20T23:30:00Z', '2023-01-23'],
    // the state funeral of 2022
    ['2022-09-01T12:00:00Z', '2022-09-30'],
    // 23:30 on 31 May 2024 in London is 22:30 UTC: the day sent is London's
    ['2024-05-31T22:30:00Z', '2024-06-28'],
    // sent on a Saturday: the count starts on Monday
    ['2024-06-01T09:00:00Z', '2024-06-28'],
  ])('a request sent at %s is due on %s', async (sent, due) => {
    expect(await one<string>(sql`select to_char(uk_working_day_after(${sent}::timestamptz, 20), 'YYYY-MM-DD') as value`)).toBe(due);
  });

  test.each([
    ['2024-03-20T10:00:00Z', '2024-03-20T17:00:00Z', 0],
    ['2024-03-28T12:00:00Z', '2024-04-02T08:00:00Z', 1],
    ['2024-03-20T10:00:00Z', '2024-04-19T08:00:00Z', 20],
    ['2024-03-20T10:00:00Z', '2024-04-22T08:00:00Z', 21],
    ['2024-04-22T08:00:00Z', '2024-03-20T10:00:00Z', null],
  ])('from %s to %s: %s working days', async (since, until, days) => {
    expect(await one<number | null>(sql`select uk_working_days_between(${since}::timestamptz, ${until}::timestamptz) as value`)).toBe(days);
  });
});

type JsonEvent = { event_type: string; created_at: string; display_status?: string; calculated_state?: string | null; described_state?: string };
const sent = (at: string): JsonEvent => ({ event_type: 'sent', created_at: at });
/** A message from the authority, with the state its requester gave the request after it (none: not yet classified). */
const response = (at: string, calculatedState: string | null = null): JsonEvent => ({ event_type: 'response', created_at: at, calculated_state: calculatedState });

/** A thread whose JSON has these events, of the given authority. */
async function store(remoteId: number, authority: 'leeds' | 'york', events: JsonEvent[], extra: Partial<ReconcileInput> = {}) {
  const siteId = await archive.ensureSite(SITE);
  const body =
    authority === 'leeds'
      ? { remoteId: 7, urlName: 'leeds_city_council', name: 'Leeds City Council' }
      : { remoteId: 8, urlName: 'york_council', name: 'York Council' };
  const raw = { id: remoteId, info_request_events: events.map((event, index) => ({ id: remoteId * 100 + index, ...event })) };
  await archive.reconcileRequest(siteId, thread({ remoteId, urlTitle: `request_${remoteId}`, authority: body, raw, ...extra }), {});
}

describe('how promptly requests were answered', () => {
  beforeAll(async () => {
    // On time: the first message, an answer, on the 20th working day.
    await store(1, 'leeds', [sent('2024-03-20T10:00:00.000+00:00'), response('2024-04-19T09:00:00.000+01:00', 'successful')]);
    // Late, marked overdue by the site; the first message only said to wait; an internal review asked for.
    await store(2, 'leeds', [
      sent('2024-03-20T10:00:00.000+00:00'),
      { event_type: 'overdue', created_at: '2024-04-20T00:00:00.000+01:00' },
      response('2024-04-22T09:00:00.000+01:00', 'waiting_response'),
      response('2024-05-01T09:00:00.000+01:00', 'rejected'),
      { event_type: 'followup_sent', created_at: '2024-05-02T09:00:00.000+01:00', display_status: 'Internal review request' },
    ]);
    // Never answered, long past due; a follow-up is not a review.
    await store(3, 'leeds', [
      sent('2024-01-10T10:00:00.000+00:00'),
      { event_type: 'overdue', created_at: '2024-02-08T00:00:00.000+00:00' },
      { event_type: 'very_overdue', created_at: '2024-03-08T00:00:00.000+00:00' },
      { event_type: 'followup_sent', created_at: '2024-03-09T09:00:00.000+00:00', display_status: 'Follow up' },
    ]);
    // Sent now: not due yet.
    await store(4, 'leeds', [sent(new Date().toISOString())]);
    await store(5, 'york', [sent('2024-06-03T09:00:00.000+01:00'), response('2024-06-06T15:00:00.000+01:00', 'partially_successful')]);
    // Not counted: off the site's listings, removed, or with no sending time the archive can read.
    await store(6, 'york', [sent('2024-06-03T09:00:00.000+01:00')], { prominence: 'backpage' });
    await store(7, 'york', [sent('2024-06-03T09:00:00.000+01:00')]);
    await archive.markRemoved(await archive.ensureSite(SITE), 7, 'gone', {});
    await store(8, 'york', [sent('2024-02-30T10:00:00.000+00:00'), response('2024-03-04T10:00:00Z')]);
  });

  test('a request gives its dates against the 20 working days', async () => {
    expect((await archive.getRequest('request_2'))!.timeliness).toEqual({
      sentAt: new Date('2024-03-20T10:00:00Z'),
      sentOn: '2024-03-20',
      clockStartedAt: new Date('2024-03-20T10:00:00Z'),
      clockStartedOn: '2024-03-20',
      dueOn: '2024-04-19',
      firstResponseAt: new Date('2024-04-22T08:00:00Z'),
      firstResponseOn: '2024-04-22',
      responseWorkingDays: 21,
      outcome: 'late',
      firstAnswerAt: new Date('2024-05-01T08:00:00Z'),
      firstAnswerOn: '2024-05-01',
      answerWorkingDays: 28,
      siteOverdue: 'overdue',
      internalReviewRequested: true,
    });
    expect((await archive.getRequest('request_3'))!.timeliness).toMatchObject({
      firstResponseAt: null, responseWorkingDays: null, outcome: 'overdue', siteOverdue: 'very_overdue', internalReviewRequested: false,
    });
    expect((await archive.getRequest('request_4'))!.timeliness?.outcome).toBe('waiting');
    expect((await archive.getRequest('request_1'))!.timeliness?.outcome).toBe('on_time');
    // An impossible date is read as no date, and the request is stored all the same; so is JSON of another shape.
    expect((await archive.getRequest('request_8'))!.timeliness).toBeNull();
    const siteId = await archive.ensureSite(SITE);
    for (const [remoteId, raw] of [
      [30, { info_request_events: { event_type: 'resent', created_at: '2024-03-25T10:00:00Z' } }],
      [31, { info_request_events: ['sent', 7, null, { event_type: 'sent', created_at: 20240325 }] }],
      [32, { info_request_events: [{ event_type: 'sent', created_at: '2024-03-20T10:00:00Z' }, 'resent', { described_state: 'waiting_clarification' }] }],
    ] as const) {
      await archive.reconcileRequest(siteId, thread({ remoteId, urlTitle: `request_${remoteId}`, raw, prominence: 'backpage' }), {});
    }
    expect((await archive.getRequest('request_30'))!.timeliness).toBeNull();
    expect((await archive.getRequest('request_31'))!.timeliness).toBeNull();
    expect((await archive.getRequest('request_32'))!.timeliness).toMatchObject({ clockStartedOn: '2024-03-20', dueOn: '2024-04-19' });
  });

  test('the clock starts again, as the site starts it, when a request is resent or clarified as the authority asked', async () => {
    await store(20, 'york', [
      sent('2024-03-20T10:00:00.000+00:00'),
      { event_type: 'resent', created_at: '2024-03-25T10:00:00.000+00:00' },
      response('2024-04-22T09:00:00.000+01:00', 'successful'),
    ], { prominence: 'backpage' });
    expect((await archive.getRequest('request_20'))!.timeliness).toMatchObject({
      sentOn: '2024-03-20', clockStartedOn: '2024-03-25', dueOn: '2024-04-24', responseWorkingDays: 18, outcome: 'on_time',
    });
    // Asked to clarify: the clock starts at the requester's reply, and the first message since then is the reply counted.
    await store(21, 'york', [
      sent('2024-03-01T10:00:00.000+00:00'),
      response('2024-03-04T10:00:00.000+00:00', 'waiting_clarification'),
      { event_type: 'status_update', created_at: '2024-03-05T10:00:00.000+00:00', described_state: 'waiting_clarification' },
      { event_type: 'followup_sent', created_at: '2024-03-11T10:00:00.000+00:00', display_status: 'Follow up' },
      { event_type: 'followup_sent', created_at: '2024-03-12T10:00:00.000+00:00', display_status: 'Follow up' },
      response('2024-04-05T09:00:00.000+01:00', 'successful'),
    ], { prominence: 'backpage' });
    expect((await archive.getRequest('request_21'))!.timeliness).toMatchObject({
      sentOn: '2024-03-01', clockStartedOn: '2024-03-11', dueOn: '2024-04-11',
      firstResponseOn: '2024-04-05', responseWorkingDays: 16, firstAnswerOn: '2024-04-05', answerWorkingDays: 16,
    });
  });

  test('the archive and each authority are tallied from the listed requests', async () => {
    expect(await archive.timelinessTally()).toEqual({
      requests: 5, replied: 3, onTime: 2, late: 1, overdue: 1, waiting: 1, medianWorkingDays: 20,
      answered: 3, answeredOnTime: 2, answeredLate: 1, medianAnswerWorkingDays: 20,
      markedOverdue: 2, markedVeryOverdue: 1, internalReviews: 1,
    });
    expect(await archive.timelinessTally({ authority: 'york_council' })).toMatchObject({ requests: 1, replied: 1, onTime: 1, medianWorkingDays: 3, answered: 1, medianAnswerWorkingDays: 3 });
    expect(await archive.timelinessTally({ authority: 'leeds_city_council', from: new Date('2024-06-01T00:00:00Z') })).toMatchObject({
      requests: 0, medianWorkingDays: null,
    });
  });

  test('authorities are listed busiest first, or most often late first, in pages', async () => {
    const busiest = await archive.timelinessByAuthority();
    expect(busiest.total).toBe(2);
    expect(busiest.authorities.map((row) => [row.authority.urlName, row.requests, row.late, row.overdue])).toEqual([
      ['leeds_city_council', 4, 1, 1],
      ['york_council', 1, 0, 0],
    ]);
    expect((await archive.timelinessByAuthority({ minRequests: 4 })).authorities.map((row) => row.authority.urlName)).toEqual(['leeds_city_council']);
    const second = await archive.timelinessByAuthority({ limit: 1, offset: 1 });
    expect([second.total, second.authorities.map((row) => row.authority.urlName)]).toEqual([2, ['york_council']]);
    // Leeds: two of the three due were late or never answered. York: three of four, once these go unanswered.
    for (const remoteId of [9, 10, 11]) await store(remoteId, 'york', [sent('2024-01-10T10:00:00.000+00:00')]);
    const late = await archive.timelinessByAuthority({ order: 'late' });
    expect(late.authorities.map((row) => row.authority.urlName)).toEqual(['york_council', 'leeds_city_council']);
  });
});
