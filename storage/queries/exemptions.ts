import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import { exemptionLabel } from '../exemptions.js';
import type { ExemptionTally } from '../types.js';
import { and, citationsOf, requestFilters } from './search.js';

/**
 * How often the requests search finds (listed, not removed; of one authority if named) cite each exemption in what
 * the site shows of them.
 */
export async function exemptionTally(db: Db, opts: { authority?: string; siteId?: number } = {}): Promise<ExemptionTally> {
  const filters = requestFilters(opts);
  const [row] = await rowsOf<{ requests: number; citing: number; exemptions: { code: string; requests: number }[] }>(
    db,
    sql`
    with scope as materialized (select r.id as request_id from requests r where ${and(filters)}),
    cited as materialized (${citationsOf(sql`select request_id from scope`)})
    select (select count(*) from scope)::int as requests,
           (select count(distinct request_id) from cited)::int as citing,
           (select coalesce(json_agg(x order by x.requests desc, x.code), '[]'::json)
            from (select code, count(distinct request_id)::int as requests from cited group by code) x) as exemptions`,
  );
  return {
    requests: row?.requests ?? 0,
    citing: row?.citing ?? 0,
    exemptions: (row?.exemptions ?? []).map((e) => ({ code: e.code, label: exemptionLabel(e.code), requests: e.requests })),
  };
}
