import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import type { AuthorityTimeliness, TimelinessOutcome, TimelinessTally } from '../types.js';
import { and, requestFilters, timelinessOutcomeIs } from './search.js';

export interface TimelinessScope {
  authority?: string;
  siteId?: number;
  /** sent on or after / on or before (the request's creation time, as search's dates) */
  from?: Date;
  to?: Date;
}

/** What a search can filter by (`SearchQuery.timeliness`), as the tallies count them. */
export const TIMELINESS_OUTCOMES = ['on_time', 'late', 'overdue', 'waiting'] as const satisfies readonly TimelinessOutcome[];

const counters = sql`
  count(*)::int as "requests",
  count(r.first_response_at)::int as "replied",
  count(*) filter (where ${timelinessOutcomeIs('on_time')})::int as "onTime",
  count(*) filter (where ${timelinessOutcomeIs('late')})::int as "late",
  count(*) filter (where ${timelinessOutcomeIs('overdue')})::int as "overdue",
  count(*) filter (where ${timelinessOutcomeIs('waiting')})::int as "waiting",
  percentile_disc(0.5) within group (order by r.response_working_days) as "medianWorkingDays",
  count(r.first_answer_at)::int as "answered",
  count(*) filter (where r.answer_working_days <= 20)::int as "answeredOnTime",
  count(*) filter (where r.answer_working_days > 20)::int as "answeredLate",
  percentile_disc(0.5) within group (order by r.answer_working_days) as "medianAnswerWorkingDays",
  count(*) filter (where r.site_overdue is not null)::int as "markedOverdue",
  count(*) filter (where r.site_overdue = 'very_overdue')::int as "markedVeryOverdue",
  count(*) filter (where r.internal_review_requested)::int as "internalReviews"`;

const scoped = (opts: TimelinessScope): SQL => and([...requestFilters(opts), sql`r.sent_at is not null`]);

/** How promptly the requests search finds (listed, not removed; of one authority, or sent between dates) were answered. */
export async function timelinessTally(db: Db, opts: TimelinessScope = {}): Promise<TimelinessTally> {
  const [row] = await rowsOf<TimelinessTally>(db, sql`select ${counters} from requests r where ${scoped(opts)}`);
  return row!;
}

export type TimelinessOrder = 'requests' | 'late';

/**
 * The tally of each authority with at least `minRequests` counted, busiest first, or (`late`) the largest share
 * answered late or not at all past the due date first.
 */
export async function timelinessByAuthority(
  db: Db,
  opts: TimelinessScope & { minRequests?: number; order?: TimelinessOrder; limit?: number; offset?: number } = {},
): Promise<{ total: number; authorities: AuthorityTimeliness[] }> {
  const order =
    opts.order === 'late'
      ? sql`("late" + "overdue")::float / nullif("requests" - "waiting", 0) desc nulls last, "requests" desc, name`
      : sql`"requests" desc, name`;
  const [row] = await rowsOf<{ total: number; rows: (TimelinessTally & { urlName: string; name: string })[] }>(
    db,
    sql`
    with t as materialized (
      select au.url_name as "urlName", au.name, ${counters}
      from requests r join authorities au on au.id = r.authority_id
      where ${scoped(opts)}
      group by au.id
      having count(*) >= ${opts.minRequests ?? 1}
    )
    select (select count(*) from t)::int as total,
           coalesce((select json_agg(page order by ${order}) from (select * from t order by ${order} limit ${opts.limit ?? 100} offset ${opts.offset ?? 0}) page), '[]'::json) as rows`,
  );
  return {
    total: row?.total ?? 0,
    authorities: (row?.rows ?? []).map(({ urlName, name, ...tally }) => ({ authority: { urlName, name }, ...tally })),
  };
}
