import Holidays from 'date-holidays';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type GroundTruth, type GroundTruthRequest, type Simulator } from '../../fixtures/site/index.js';
import type { Archive, RequestTimeliness, TimelinessTally } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

// 50 requests, some first answered across bank holidays (Christmas, Easter, May's, Northern Ireland's 12 July), some
// late, some never; some first only acknowledged, some whose clock started again, resent or clarified. A site fresh
// from the generator has nothing falling due in its next day, so it lives a week before the first crawl (waiting
// requests answered, one of them late; new ones filed); the day after that crawl an old request is answered, long
// late, and one filed in May is marked overdue.
const SEED = 1;
const SIZE = 50;
const WEEK_BEFORE_FIRST_CRAWL = 7;

const londonDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
const dayOf = (time: string) => londonDay.format(new Date(time));

// The UK's four calendars for the years asked: their union, and England's alone. The library's two known gaps
// (2011's royal wedding, 2012's moved spring holiday) are years before any the simulator dates a request in.
const holidaysByYear = new Map<number, { uk: Set<string>; england: Set<string> }>();
function holidaysOf(day: string): { uk: Set<string>; england: Set<string> } {
  const year = Number(day.slice(0, 4));
  let days = holidaysByYear.get(year);
  if (!days) {
    const publicDays = (region: string) => new Holidays('GB', region).getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10));
    days = { uk: new Set(['ENG', 'WLS', 'SCT', 'NIR'].flatMap(publicDays)), england: new Set(publicDays('ENG')) };
    holidaysByYear.set(year, days);
  }
  return days;
}

/** The weekdays after `since` up to and including `until` (YYYY-MM-DD), and which of them are bank holidays. */
function weekdaysBetween(since: string, until: string): { working: number; holidays: string[] } {
  let working = 0;
  const holidays: string[] = [];
  for (let noon = Date.parse(`${since}T12:00:00Z`) + 86_400_000; noon <= Date.parse(`${until}T12:00:00Z`); noon += 86_400_000) {
    const date = new Date(noon);
    if (date.getUTCDay() === 0 || date.getUTCDay() === 6) continue;
    const day = date.toISOString().slice(0, 10);
    if (holidaysOf(day).uk.has(day)) holidays.push(day);
    else working++;
  }
  return { working, holidays };
}

/** A weekday that is a bank holiday in no part of the UK (YYYY-MM-DD). */
function isWorkingDay(day: string): boolean {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidaysOf(day).uk.has(day);
}

/** Working days from the London day its clock started to the London day of `time`; null when there is no such time. */
function workingDaysTo(request: GroundTruthRequest, time: string | null): number | null {
  return time === null ? null : weekdaysBetween(dayOf(request.timeliness.clockStartedAt), dayOf(time)).working;
}

/** To its first message since the clock started, an acknowledgement included. */
const responseWorkingDays = (request: GroundTruthRequest) => workingDaysTo(request, request.timeliness.firstResponseAt);
/** To the first of those its requester said answered it. */
const answerWorkingDays = (request: GroundTruthRequest) => workingDaysTo(request, request.timeliness.firstAnswerAt);

type ComparedTimeliness = Pick<
  RequestTimeliness,
  | 'sentAt' | 'clockStartedAt' | 'dueOn' | 'firstResponseAt' | 'responseWorkingDays' | 'firstAnswerAt' | 'answerWorkingDays'
  | 'siteOverdue' | 'internalReviewRequested'
>;

const dateOrNull = (time: string | null) => (time === null ? null : new Date(time));

function expectedTimeliness(request: GroundTruthRequest): ComparedTimeliness {
  const { sentAt, clockStartedAt, dueOn, firstResponseAt, firstAnswerAt, siteOverdue, internalReviewRequested } = request.timeliness;
  return {
    sentAt: new Date(sentAt),
    clockStartedAt: new Date(clockStartedAt),
    dueOn,
    firstResponseAt: dateOrNull(firstResponseAt),
    responseWorkingDays: responseWorkingDays(request),
    firstAnswerAt: dateOrNull(firstAnswerAt),
    answerWorkingDays: answerWorkingDays(request),
    siteOverdue,
    internalReviewRequested,
  };
}

/**
 * The counters of a tally that do not depend on the day the test runs. The archive splits the unanswered into
 * `overdue` and `waiting` by the database's today, while the simulator keeps its own clock (its default start,
 * 2026-06-01, and the days it was moved on), not today's: only their sum is the site's.
 */
type DatelessTally = Omit<TimelinessTally, 'overdue' | 'waiting'> & { unanswered: number };

function dateless({ overdue, waiting, ...counters }: TimelinessTally): DatelessTally {
  return { ...counters, unanswered: overdue + waiting };
}

/** A tally as text, its counters in a fixed order whatever order they were made in. */
const shown = (tally: DatelessTally) => JSON.stringify(tally, Object.keys(tally).sort());

/** The working days known, in order. */
const sortedDays = (days: (number | null)[]) => days.filter((n): n is number => n !== null).sort((a, b) => a - b);
// percentile_disc(0.5): the first value at or past half way
const median = (sorted: number[]) => (sorted.length > 0 ? sorted[Math.ceil(sorted.length / 2) - 1]! : null);

/** What the archive should count of these requests (the site's listed ones), from the ground truth. */
function expectedTally(requests: GroundTruthRequest[]): DatelessTally {
  const days = sortedDays(requests.map(responseWorkingDays));
  const answerDays = sortedDays(requests.map(answerWorkingDays));
  return {
    requests: requests.length,
    replied: days.length,
    onTime: days.filter((n) => n <= 20).length,
    late: days.filter((n) => n > 20).length,
    medianWorkingDays: median(days),
    answered: answerDays.length,
    answeredOnTime: answerDays.filter((n) => n <= 20).length,
    answeredLate: answerDays.filter((n) => n > 20).length,
    medianAnswerWorkingDays: median(answerDays),
    markedOverdue: requests.filter((r) => r.timeliness.siteOverdue !== null).length,
    markedVeryOverdue: requests.filter((r) => r.timeliness.siteOverdue === 'very_overdue').length,
    internalReviews: requests.filter((r) => r.timeliness.internalReviewRequested).length,
    unanswered: requests.length - days.length,
  };
}

// The site lists only its normal requests; the tallies count those.
const listed = (truth: GroundTruth) => truth.requests.filter((r) => r.prominence === 'normal');

/** Everything the archive reads of how promptly requests were answered that differs from the ground truth, as readable lines. */
async function timelinessDifferences(archive: Archive, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  for (const request of truth.requests) {
    const where = `request ${request.id} (${request.urlTitle})`;
    const stored = await archive.getRequest(request.urlTitle);
    if (!stored) {
      problems.push(`${where} is missing`);
      continue;
    }
    const { clockStartedAt, dueOn } = request.timeliness;
    const { working: toDue } = weekdaysBetween(dayOf(clockStartedAt), dueOn);
    if (toDue !== 20 || !isWorkingDay(dueOn)) problems.push(`${where}: the site's due day ${dueOn} is not the 20th working day after its clock started`);
    const expected = expectedTimeliness(request);
    if (!stored.timeliness) {
      problems.push(`${where} has no timeliness, expected ${JSON.stringify(expected)}`);
      continue;
    }
    for (const key of Object.keys(expected) as (keyof ComparedTimeliness)[]) {
      const [read, wanted] = [JSON.stringify(stored.timeliness[key]), JSON.stringify(expected[key])];
      if (read !== wanted) problems.push(`${where}: ${key} is ${read}, expected ${wanted}`);
    }
  }

  const counted = listed(truth);
  const tally = shown(dateless(await archive.timelinessTally()));
  if (tally !== shown(expectedTally(counted))) problems.push(`the tally is ${tally}, expected ${shown(expectedTally(counted))}`);

  const byAuthority = new Map<string, GroundTruthRequest[]>();
  for (const request of counted) byAuthority.set(request.authority.urlName, [...(byAuthority.get(request.authority.urlName) ?? []), request]);
  const { total, authorities } = await archive.timelinessByAuthority({ limit: 1000 });
  if (total !== byAuthority.size || authorities.length !== byAuthority.size) {
    problems.push(`${total} authorities tallied (${authorities.length} listed), expected ${byAuthority.size}`);
  }
  for (const { authority, ...row } of authorities) {
    const [read, expected] = [shown(dateless(row)), shown(expectedTally(byAuthority.get(authority.urlName) ?? []))];
    if (read !== expected) problems.push(`${authority.urlName} is tallied ${read} in the table, expected ${expected}`);
  }
  for (const [urlName, requests] of byAuthority) {
    const [read, expected] = [shown(dateless(await archive.timelinessTally({ authority: urlName }))), shown(expectedTally(requests))];
    if (read !== expected) problems.push(`${urlName} alone is tallied ${read}, expected ${expected}`);
  }
  return problems;
}

describe(`how promptly a ${SIZE}-request site's requests were answered, crawled`, () => {
  let sim: Simulator;
  let test: TestArchive;
  const crawl = () => runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 200, maskingRetryMs: 100, extract: false });

  beforeAll(async () => {
    sim = await startSimulator({ seed: SEED, requests: SIZE, maskingMs: 50 });
    sim.advance(WEEK_BEFORE_FIRST_CRAWL);
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('is what the site recorded: sent, clock started, replied to, answered, due with bank holidays skipped, marked overdue, reviewed; by request, authority and in all', { timeout: 120_000 }, async () => {
    const truth = sim.groundTruth();
    // The comparison means something only if the site has each kind of request, and answers counted over a bank holiday.
    const expected = expectedTally(listed(truth));
    expect(expected.late).toBeGreaterThan(0);
    expect(expected.onTime).toBeGreaterThan(0);
    expect(expected.unanswered).toBeGreaterThan(0);
    expect(expected.markedVeryOverdue).toBeGreaterThan(0);
    expect(expected.markedOverdue).toBeGreaterThan(expected.markedVeryOverdue);
    expect(expected.internalReviews).toBeGreaterThan(0);
    expect(expected.answeredOnTime).toBeGreaterThan(0);
    expect(expected.answeredLate).toBeGreaterThan(0);
    // Some first messages were only acknowledgements, so answers are counted apart from replies.
    expect(listed(truth).some(({ timeliness: t }) => t.firstResponseAt !== null && t.firstResponseAt !== t.firstAnswerAt)).toBe(true);
    // Some clocks started again after the request was sent: resent, and clarified (at one of its follow-ups).
    const restarted = truth.requests.filter(({ timeliness: t }) => t.clockStartedAt !== t.sentAt);
    const clarified = restarted.filter((r) => r.events.filter((e) => e.kind === 'outgoing').slice(1).some(
      (followup) => Date.parse(followup.time) === Date.parse(r.timeliness.clockStartedAt),
    ));
    expect(clarified.length).toBeGreaterThan(0);
    expect(restarted.length).toBeGreaterThan(clarified.length);
    const holidaysWaited = listed(truth).flatMap(({ timeliness: t }) => (t.firstResponseAt === null ? [] : weekdaysBetween(dayOf(t.clockStartedAt), dayOf(t.firstResponseAt)).holidays));
    expect(holidaysWaited.length).toBeGreaterThan(0);
    // ... among them one of another part of the UK than England
    expect(holidaysWaited.some((day) => !holidaysOf(day).england.has(day))).toBe(true);
    expect(truth.requests.some((r) => r.prominence === 'backpage')).toBe(true);

    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(await timelinessDifferences(test.archive, truth)).toEqual([]);
  });

  it('follows a day of the site: a new answer, a late one, a request marked overdue, one hidden', { timeout: 120_000 }, async () => {
    const before = new Map(listed(sim.groundTruth()).map((r) => [r.id, r.timeliness]));
    const changes = sim.advance(1);
    const truth = sim.groundTruth();
    const after = listed(truth);
    const answered = after.filter((r) => before.has(r.id) && before.get(r.id)!.firstResponseAt === null && r.timeliness.firstResponseAt !== null);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.some((r) => responseWorkingDays(r)! > 20)).toBe(true);
    expect(after.filter((r) => before.has(r.id) && before.get(r.id)!.siteOverdue !== r.timeliness.siteOverdue).length).toBeGreaterThan(0);
    expect(changes.hidden.filter((id) => before.has(id)).length).toBeGreaterThan(0);

    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(await timelinessDifferences(test.archive, truth)).toEqual([]);
  });
});
