import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import { exemptionLabel } from '../exemptions.js';
import type { ExemptionTally } from '../types.js';
import { and, requestFilters } from './search.js';

/**
 * How often the requests search finds (listed, not removed; of one authority if named) cite each exemption in what
 * the site shows of them.
 */
export async function exemptionTally(db: Db, opts: { authority?: string; siteId?: number } = {}): Promise<ExemptionTally> {
  const [row] = await rowsOf<{ requests: number; citing: number; exemptions: { code: string; requests: number }[] }>(
    db,
    sql`
    with scope as materialized (select r.id from requests r where ${and(requestFilters(opts))}),
    citing as materialized (select x.codes from scope join request_exemptions x on x.request_id = scope.id)
    select (select count(*) from scope)::int as requests,
           (select count(*) from citing)::int as citing,
           (select coalesce(json_agg(t order by t.requests desc, t.code), '[]'::json)
            from (select c.code, count(*)::int as requests from citing cross join unnest(citing.codes) as c(code) group by c.code) t) as exemptions`,
  );
  return {
    requests: row?.requests ?? 0,
    citing: row?.citing ?? 0,
    exemptions: (row?.exemptions ?? []).map((e) => ({ code: e.code, label: exemptionLabel(e.code), requests: e.requests })),
  };
}
