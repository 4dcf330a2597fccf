import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import { exemptionLabel } from '../exemptions.js';
import type { ExportRow, Facet, NamingFilter, SearchHit, SearchQuery, SearchResult, TimelinessOutcome } from '../types.js';

// ts_headline marks matches with private-use characters, which no document uses; the snippet is then
// HTML-escaped and only these two become <mark> tags.
const START = '\uE000';
const STOP = '\uE001';
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxFragments=2, MaxWords=28, MinWords=12, FragmentDelimiter=" … "`;
const HEADLINE_SOURCE_CHARS = 100_000;
const SNIPPET_CHARS_WITHOUT_WORDS = 240;
const FACET_LIMIT = 100;
const SEARCH_WORK_MEM = '64MB';

export const hasText = (q: SearchQuery) => (q.text ?? '').trim().length > 0;

/**
 * A request (of `r`, or the table named) whose first reply since the clock started came by its due date or after it,
 * or has not come, past the due date (today in the site's time zone: overdue from the day after it) or not.
 */
export function timelinessOutcomeIs(outcome: TimelinessOutcome, request: SQL = sql.raw('r')): SQL {
  const today = sql`(now() at time zone 'Europe/London')::date`;
  switch (outcome) {
    case 'on_time':
      return sql`${request}.response_working_days <= 20`;
    case 'late':
      return sql`${request}.response_working_days > 20`;
    case 'overdue':
      return sql`${request}.first_response_at is null and ${request}.due_on < ${today}`;
    case 'waiting':
      return sql`${request}.first_response_at is null and ${request}.due_on >= ${today}`;
  }
}

/** Requests citing the exemption in what the site shows (request_exemptions, kept by migration 0013's triggers). */
const citingRequests = (code: string) => sql`select x.request_id from request_exemptions x where x.codes @> array[${code}]::text[]`;

export function requestFilters(q: SearchQuery): SQL[] {
  const filters: SQL[] = [];
  if (q.siteId !== undefined) filters.push(sql`r.site_id = ${q.siteId}`);
  if (!q.includeRemoved) filters.push(sql`r.removed_at is null`);
  if (!q.includeUnlisted) filters.push(sql`r.prominence <> 'backpage'`);
  // uncorrelated, so the planner looks the ids up once (an id belongs to one site, as its requests do)
  if (q.authority) filters.push(sql`r.authority_id in (select au.id from authorities au where au.url_name = ${q.authority})`);
  if (q.status) filters.push(sql`r.status = ${q.status}`);
  if (q.requester) filters.push(sql`r.requester_id in (select u.id from users u where u.url_name = ${q.requester})`);
  if (q.from) filters.push(sql`r.remote_created_at >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) filters.push(sql`r.remote_created_at <= ${q.to.toISOString()}::timestamptz`);
  if (q.exemption) filters.push(sql`r.id in (${citingRequests(q.exemption)})`);
  if (q.timeliness) filters.push(timelinessOutcomeIs(q.timeliness));
  return filters;
}

export const and = (parts: SQL[]) => (parts.length ? sql.join(parts, sql` and `) : sql`true`);

export function pageFilters(q: SearchQuery): SQL[] {
  const filters: SQL[] = [];
  if (q.siteId !== undefined) filters.push(sql`h.site_id = ${q.siteId}`);
  if (!q.includeRemoved) filters.push(sql`not h.removed`);
  if (!q.includeUnlisted) filters.push(sql`not h.unlisted`);
  if (q.authority) filters.push(sql`h.authority_id in (select au.id from authorities au where au.url_name = ${q.authority})`);
  if (q.status) filters.push(sql`h.status = ${q.status}`);
  if (q.requester) filters.push(sql`h.requester_id in (select u.id from users u where u.url_name = ${q.requester})`);
  if (q.from) filters.push(sql`h.created >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) filters.push(sql`h.created <= ${q.to.toISOString()}::timestamptz`);
  if (q.type) filters.push(sql`h.type = ${q.type}`);
  if (q.exemption) filters.push(sql`h.request_id in (${citingRequests(q.exemption)})`);
  if (q.timeliness) filters.push(sql`h.request_id in (select r.id from requests r where ${timelinessOutcomeIs(q.timeliness)})`);
  return filters;
}

// Written out where it is used rather than read from a CTE: as a constant the planner sees the words
// and estimates from the index statistics how many rows match.
export const tsquery = (q: SearchQuery) => sql`websearch_to_tsquery('wdtk_english', ${q.text ?? ''})`;

/**
 * The matching set, one row per hit: (request_id, attachment_id, sha256, page, rank, type, authority_id,
 * status, created). With text: requests whose title/body match plus document pages that match, read from
 * search_pages, where the request's filter columns sit beside each page's tsvector; a type filter keeps
 * only documents of that type. Without text: requests (having an attachment of the type). No step needs
 * the whole set before yielding rows, so a LIMIT above it stops the scans early.
 * `newest` keeps only the newest that many rows of each branch (and rows tied with the last on date):
 * each then walks its date index, a few rows per hit for a common word, where a sort of every match of
 * the union would read them all.
 */
function matches(q: SearchQuery, newest?: number): SQL {
  const filters = requestFilters(q);
  const newestOf = (created: string) =>
    newest === undefined ? sql`` : sql`order by ${sql.raw(created)} desc nulls last fetch first ${newest} rows with ties`;
  if (!hasText(q)) {
    const typeFilter = q.type
      ? [sql`exists (select 1 from attachments att join blobs b on b.sha256 = att.sha256
                     where att.request_id = r.id and not att.hidden and att.removed_at is null and b.sniffed_type = ${q.type})`]
      : [];
    return sql`
      select r.id as request_id, null::int as attachment_id, null::text as sha256, 0 as page, 0::real as rank,
             null::text as type, r.authority_id, r.status, r.remote_created_at as created
      from requests r
      where ${and([...filters, ...typeFilter])} ${newestOf('r.remote_created_at')}`;
  }
  const requestBranch = q.type
    ? sql``
    : sql`
      (select r.id, null::int, null::text, 0, ts_rank(r.search, ${tsquery(q)}), null::text, r.authority_id, r.status, r.remote_created_at
       from requests r
       where r.search @@ ${tsquery(q)} and ${and(filters)} ${newestOf('r.remote_created_at')})
      union all`;
  return sql`
    select * from (${requestBranch}
      (select h.request_id, h.attachment_id, h.sha256, h.page, ts_rank(h.search, ${tsquery(q)}), h.type,
              h.authority_id, h.status, h.created
       from search_pages h
       where h.search @@ ${tsquery(q)} and ${and(pageFilters(q))} ${newestOf('h.created')})
    ) as hits (request_id, attachment_id, sha256, page, rank, type, authority_id, status, created)`;
}

function orderBy(q: SearchQuery, alias: string): SQL {
  const m = sql.raw(alias);
  const byDate = sql`${m}.created desc nulls last, ${m}.rank desc, ${m}.request_id desc, ${m}.attachment_id nulls first, ${m}.page`;
  const byRank = sql`${m}.rank desc, ${m}.created desc nulls last, ${m}.request_id desc, ${m}.attachment_id nulls first, ${m}.page`;
  return (q.sort ?? (hasText(q) ? 'relevance' : 'date')) === 'relevance' && hasText(q) ? byRank : byDate;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function snippetParts(headline: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  const pattern = new RegExp(`${START}([^${STOP}]*)${STOP}`, 'g');
  let last = 0;
  for (const found of headline.matchAll(pattern)) {
    if (found.index > last) parts.push({ text: headline.slice(last, found.index), match: false });
    parts.push({ text: found[1]!, match: true });
    last = found.index + found[0].length;
  }
  if (last < headline.length) parts.push({ text: headline.slice(last), match: false });
  return parts.map((p) => ({ ...p, text: p.text.replace(/[\uE000\uE001]/g, '') })).filter((p) => p.text.length > 0);
}

const snippetHtml = (parts: { text: string; match: boolean }[]) =>
  parts.map((p) => (p.match ? `<mark>${escapeHtml(p.text)}</mark>` : escapeHtml(p.text))).join('');

interface HitRow extends MatchRow {
  rank: number;
  removed_at: string | null;
  removal_reason: string | null;
  prominence: string;
}

/** The columns a hit and a feed item share, as both queries select them. */
export interface MatchRow {
  request_id: number;
  attachment_id: number | null;
  sha256: string | null;
  page: number | null;
  type: string | null;
  remote_id: number;
  url_title: string;
  title: string;
  authority_url_name: string;
  authority_name: string;
  status: string;
  // a string from json_agg and node-postgres, a Date from PGlite's own rows
  created: Date | string | null;
  filename: string | null;
  headline: string | null;
}

/** What a hit and a feed item say alike: the request, its authority, and the document page when it is one. */
export function matchFields(row: MatchRow): Pick<SearchHit, 'kind' | 'requestId' | 'remoteId' | 'urlTitle' | 'title' | 'authority' | 'status' | 'date' | 'snippetParts' | 'attachment'> {
  const fields: ReturnType<typeof matchFields> = {
    kind: row.attachment_id === null ? 'request' : 'document',
    requestId: row.request_id,
    remoteId: row.remote_id,
    urlTitle: row.url_title,
    title: row.title,
    authority: { urlName: row.authority_url_name, name: row.authority_name },
    status: row.status,
    date: row.created ? new Date(row.created).toISOString() : null,
    snippetParts: snippetParts(row.headline ?? ''),
  };
  if (row.attachment_id !== null && row.sha256 && row.page !== null) {
    fields.attachment = { id: row.attachment_id, filename: row.filename, sha256: row.sha256, page: row.page, type: row.type };
  }
  return fields;
}

interface FacetRow {
  facet: 'authority' | 'status' | 'year' | 'type' | 'exemption';
  key: string;
  label: string;
  count: number;
}

/**
 * Beyond this many matches a search stops looking: the total is reported as this many with
 * `totalIsEstimate`, facets count the matches seen, and relevance ranks among them (date order stays
 * exact). Ranking and counting every match of a common word would cost seconds at archive scale.
 */
export const DEFAULT_EXACT_LIMIT = 10_000;

/** Runs a search's statements in a transaction of their own, with the settings below. */
export function inSearchTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // For this transaction only: enough memory for the bitmap of a common word's matches to stay exact
    // (rows, not whole heap pages to recheck), and no JIT: compiling costs more (≈120 ms on a common
    // word) than it saves on one page of hits.
    await tx.execute(sql`select set_config('work_mem', ${SEARCH_WORK_MEM}, true), set_config('jit', 'off', true)`);
    return work(tx);
  });
}

export async function search(db: Db, q: SearchQuery, opts: { exactLimit?: number } = {}): Promise<SearchResult> {
  return inSearchTransaction(db, (tx) => searchInTransaction(tx, q, opts));
}

/**
 * The snippet of each hit of a row set aliased p, with r its request and dp its document page (null for a request):
 * with words, ts_headline over the page or the request's title and body, its matches between START and STOP for
 * snippetParts; without, the start of the text. Computed only for the rows returned, as ts_headline is costly.
 */
export function snippetSql(q: SearchQuery): SQL {
  const stripMarkers = (expr: SQL) => sql`translate(${expr}, ${START + STOP}, '')`;
  return hasText(q)
    ? sql`ts_headline('wdtk_english', ${stripMarkers(sql`case when p.attachment_id is null
              then r.title || E'\n' || left(r.body_text, ${HEADLINE_SOURCE_CHARS})
              else left(dp.text, ${HEADLINE_SOURCE_CHARS}) end`)}, ${tsquery(q)}, ${HEADLINE_OPTIONS})`
    : stripMarkers(sql`left(case when p.attachment_id is null then r.body_text else dp.text end, ${SNIPPET_CHARS_WITHOUT_WORDS})`);
}

async function searchInTransaction(db: Db, q: SearchQuery, opts: { exactLimit?: number }): Promise<SearchResult> {
  const limit = Math.max(0, Math.min(q.limit ?? 20, 1000));
  const offset = Math.max(0, q.offset ?? 0);
  const exactLimit = opts.exactLimit ?? DEFAULT_EXACT_LIMIT;
  const text = hasText(q);
  const byDate = !text || q.sort === 'date';
  // one page of hits, read from a CTE named p, with their titles and snippets
  const pageOfHits = sql`(select coalesce(json_agg(h), '[]'::json) from (
         select p.request_id, p.attachment_id, p.sha256, p.page, p.rank, p.type, r.remote_id, r.url_title, r.title,
                a.url_name as authority_url_name, a.name as authority_name, r.status, p.created, att.filename,
                ${snippetSql(q)} as headline, r.removed_at, r.removal_reason, r.prominence
         from p join requests r on r.id = p.request_id join authorities a on a.id = r.authority_id
         left join attachments att on att.id = p.attachment_id
         left join document_pages dp on dp.sha256 = p.sha256 and dp.page = p.page
         order by ${orderBy(q, 'p')}
      ) h)`;
  const typeFacet = text
    ? sql`select 'type', m.type, m.type, count(*)::int from m where m.type is not null group by m.type`
    : sql`select 'type', b.sniffed_type, b.sniffed_type, count(distinct m.request_id)::int
          from m join attachments att on att.request_id = m.request_id and not att.hidden and att.removed_at is null
          join blobs b on b.sha256 = att.sha256 where b.sniffed_type is not null group by b.sniffed_type`;

  const exemptionFacet = sql`
    select 'exemption', c.code, c.code, count(*)::int
    from (select distinct request_id from m) mr join request_exemptions x on x.request_id = mr.request_id cross join unnest(x.codes) as c(code)
    group by c.code order by 4 desc, 2 limit ${FACET_LIMIT}`;

  // At most exactLimit + 1 matches are read: one more than the limit tells that there are more.
  // By date past the limit, m is not the newest matches, so the page is read separately below.
  const [row] = await rowsOf<{ seen: number; hits: HitRow[]; facets: FacetRow[] }>(
    db,
    sql`
    with seen_matches as materialized (select * from (${matches(q)}) unordered limit ${exactLimit + 1}),
    seen as (select count(*)::int as n from seen_matches),
    m as (select * from seen_matches limit ${exactLimit}),
    p as (select * from m where ${byDate ? sql`(select n from seen) <= ${exactLimit}` : sql`true`}
          order by ${orderBy(q, 'm')} limit ${limit} offset ${offset}),
    grouped as (
      select case when grouping(m.authority_id) = 0 then 'authority' when grouping(m.status) = 0 then 'status' else 'year' end as facet,
             m.authority_id, m.status, extract(year from m.created)::int as year, count(*)::int as n
      from m group by grouping sets ((m.authority_id), (m.status), (extract(year from m.created)::int))
    ),
    facets as (
      (select 'authority' as facet, a.url_name as key, a.name as label, g.n as count
       from grouped g join authorities a on a.id = g.authority_id where g.facet = 'authority' order by g.n desc, a.name limit ${FACET_LIMIT})
      union all
      (select 'status', g.status, g.status, g.n from grouped g where g.facet = 'status' order by g.n desc, g.status limit ${FACET_LIMIT})
      union all
      (select 'year', g.year::text, g.year::text, g.n from grouped g where g.facet = 'year' and g.year is not null order by g.year desc)
      union all
      (${typeFacet})
      union all
      (${exemptionFacet})
    )
    select (select n from seen) as seen, ${pageOfHits} as hits,
      (select coalesce(json_agg(f), '[]'::json) from facets f) as facets`,
  );
  const totalIsEstimate = (row?.seen ?? 0) > exactLimit;
  let hitRows = row?.hits ?? [];
  if (totalIsEstimate && byDate) {
    const [dated] = await rowsOf<{ hits: HitRow[] }>(
      db,
      sql`
      with p as (select * from (${matches(q, offset + limit)}) m order by ${orderBy(q, 'm')} limit ${limit} offset ${offset})
      select ${pageOfHits} as hits`,
    );
    hitRows = dated?.hits ?? [];
  }

  const facets: SearchResult['facets'] = { authority: [], status: [], type: [], year: [], exemption: [] };
  for (const f of row?.facets ?? []) {
    facets[f.facet].push({ key: f.key, label: f.facet === 'exemption' ? `${f.key}: ${exemptionLabel(f.key)}` : f.label, count: f.count } satisfies Facet);
  }
  facets.type.sort((x, y) => y.count - x.count || x.key.localeCompare(y.key));

  const hits = hitRows.map((h): SearchHit => {
    const fields = matchFields(h);
    const hit: SearchHit = { ...fields, rank: Number(h.rank), snippet: snippetHtml(fields.snippetParts) };
    if (h.removed_at !== null) {
      hit.removedAt = new Date(h.removed_at).toISOString();
      hit.removalReason = h.removal_reason;
    }
    if (h.prominence === 'backpage') hit.unlisted = true;
    return hit;
  });
  return { total: totalIsEstimate ? exactLimit : (row?.seen ?? 0), totalIsEstimate, hits, facets };
}

/**
 * The query's filters that name nothing the archive holds: no authority or user with that url_name, no request with
 * that status, no document of that type. Such a filter selects nothing, and a typo in one would read as "no hits".
 */
export async function unknownFilters(db: Db, q: SearchQuery): Promise<NamingFilter[]> {
  const site = (alias: string) => (q.siteId === undefined ? sql`` : sql` and ${sql.raw(alias)}.site_id = ${q.siteId}`);
  const checks: [NamingFilter, SQL][] = [];
  if (q.authority) checks.push(['authority', sql`exists (select 1 from authorities au where au.url_name = ${q.authority}${site('au')})`]);
  if (q.requester) checks.push(['requester', sql`exists (select 1 from users u where u.url_name = ${q.requester}${site('u')})`]);
  if (q.status) checks.push(['status', sql`exists (select 1 from requests r where r.status = ${q.status}${site('r')})`]);
  if (q.type) checks.push(['type', sql`exists (select 1 from blobs b where b.sniffed_type = ${q.type})`]);
  if (!checks.length) return [];
  const [held] = await rowsOf<Partial<Record<NamingFilter, boolean>>>(
    db,
    sql`select ${sql.join(checks.map(([name, exists]) => sql`${exists} as ${sql.identifier(name)}`), sql`, `)}`,
  );
  return checks.filter(([name]) => !held?.[name]).map(([name]) => name);
}

interface ExportDbRow {
  request_id: number;
  attachment_id: number | null;
  sha256: string | null;
  page: number;
  type: string | null;
  remote_id: number;
  url_title: string;
  title: string;
  authority_url_name: string;
  authority_name: string;
  requester_url_name: string | null;
  requester_name: string | null;
  status: string;
  described_state: string | null;
  remote_created_at: Date | string | null;
  remote_updated_at: Date | string | null;
  removed_at: Date | string | null;
  filename: string | null;
  size: number | string | null;
  source_url: string | null;
  fetched_at: Date | string | null;
  exemptions: string[];
  sent_on: string | null;
  clock_started_on: string | null;
  due_on: string | null;
  first_response_on: string | null;
  response_working_days: number | null;
  first_answer_on: string | null;
  answer_working_days: number | null;
  site_overdue: 'overdue' | 'very_overdue' | null;
  internal_review_requested: boolean | null;
}

const toDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** Every hit of the query in (request, attachment, page) order, fetched in keyset pages. */
export async function* exportRows(db: Db, q: SearchQuery, pageSize = 500): AsyncIterable<ExportRow> {
  let after: [number, number, number] = [0, -1, -1];
  for (;;) {
    const rows = await rowsOf<ExportDbRow>(
      db,
      sql`
      with p as (
        select * from (${matches(q)}) m
        where (m.request_id, coalesce(m.attachment_id, 0), m.page) > (${after[0]}, ${after[1]}, ${after[2]})
        order by m.request_id, coalesce(m.attachment_id, 0), m.page limit ${pageSize}
      )
      select p.request_id, p.attachment_id, p.sha256, p.page, p.type, r.remote_id, r.url_title, r.title,
             a.url_name as authority_url_name, a.name as authority_name, u.url_name as requester_url_name,
             u.name as requester_name, r.status, r.described_state, r.remote_created_at, r.remote_updated_at,
             r.removed_at, att.filename, att.size, att.source_url, att.fetched_at,
             coalesce((select x.codes from request_exemptions x where x.request_id = p.request_id), '{}') as exemptions,
             to_char(r.sent_at at time zone 'Europe/London', 'YYYY-MM-DD') as sent_on,
             to_char(r.clock_started_at at time zone 'Europe/London', 'YYYY-MM-DD') as clock_started_on, to_char(r.due_on, 'YYYY-MM-DD') as due_on,
             to_char(r.first_response_at at time zone 'Europe/London', 'YYYY-MM-DD') as first_response_on,
             r.response_working_days, to_char(r.first_answer_at at time zone 'Europe/London', 'YYYY-MM-DD') as first_answer_on,
             r.answer_working_days, r.site_overdue, r.internal_review_requested
      from p join requests r on r.id = p.request_id join authorities a on a.id = r.authority_id
      left join users u on u.id = r.requester_id left join attachments att on att.id = p.attachment_id
      order by p.request_id, coalesce(p.attachment_id, 0), p.page`,
    );
    for (const r of rows) {
      const row: ExportRow = {
        kind: r.attachment_id === null ? 'request' : 'document',
        requestId: r.request_id,
        remoteId: r.remote_id,
        urlTitle: r.url_title,
        title: r.title,
        authority: { urlName: r.authority_url_name, name: r.authority_name },
        requester: r.requester_url_name ? { urlName: r.requester_url_name, name: r.requester_name ?? '' } : null,
        status: r.status,
        describedState: r.described_state,
        remoteCreatedAt: toDate(r.remote_created_at),
        remoteUpdatedAt: toDate(r.remote_updated_at),
        removedAt: toDate(r.removed_at),
        exemptions: r.exemptions,
        timeliness:
          r.sent_on && r.clock_started_on && r.due_on
            ? {
                sentOn: r.sent_on,
                clockStartedOn: r.clock_started_on,
                dueOn: r.due_on,
                firstResponseOn: r.first_response_on,
                responseWorkingDays: r.response_working_days,
                firstAnswerOn: r.first_answer_on,
                answerWorkingDays: r.answer_working_days,
                siteOverdue: r.site_overdue,
                internalReviewRequested: r.internal_review_requested === true,
              }
            : null,
      };
      if (r.attachment_id !== null && r.sha256) {
        row.attachment = {
          id: r.attachment_id,
          filename: r.filename,
          sha256: r.sha256,
          size: r.size === null ? null : Number(r.size),
          type: r.type,
          page: r.page,
          sourceUrl: r.source_url,
          fetchedAt: toDate(r.fetched_at),
        };
      }
      yield row;
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = [last.request_id, last.attachment_id ?? 0, last.page];
  }
}
