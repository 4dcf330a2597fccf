import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connect.js';
import type { ArchivedMatch, SearchQuery } from '../types.js';
import { and, hasText, inSearchTransaction, matchFields, pageFilters, requestFilters, snippetSql, tsquery, type MatchRow } from './search.js';

const MAX_NEWEST = 1000;

interface NewestRow extends MatchRow {
  archived: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/**
 * The `limit` matches of a query that entered the archive last, newest first: requests as they were first archived,
 * documents as their attachment rows were written (each document once, named by its first matching page), each given
 * with the time it entered (`first_archived_at`, `fetched_at`). What is public is what search finds (removed and
 * unlisted requests, withheld attachments are left out unless the query includes them); a type filter keeps documents
 * only; sort, limit and offset of the query do not apply.
 *
 * Cost: each branch is one ORDER BY id DESC LIMIT `limit`. Rows are numbered as they are first written, so the
 * primary key is the order they entered the archive in, and no index on their times has to be kept up by every
 * crawl's writes. Postgres, which estimates from the index
 * statistics how many rows the words match, answers it one of two ways. For a common word it walks the primary key
 * newest first, testing each request, or each attachment by looking up its pages in search_pages' primary key until
 * one matches, and stops at `limit` matches: about `limit` rows read, whatever the size of the archive. For a rarer
 * word it reads the matches from the GIN indexes (a document's matching pages collapse to its attachment id), and
 * keeps the newest `limit` in a top-N sort: each match is read once, memory holds `limit` rows, and no page is sorted.
 * Only the `limit` rows kept get their first matching page (a primary-key lookup), titles and snippets (ts_headline).
 * Measured with bench/search.bench.ts (bench/README.md, Search).
 */
export async function newestMatches(db: Db, q: SearchQuery, limit: number): Promise<ArchivedMatch[]> {
  const n = Math.max(0, Math.min(limit, MAX_NEWEST));
  const words = (column: string) => (hasText(q) ? [sql`${sql.raw(column)} @@ ${tsquery(q)}`] : []);
  const requestBranch = q.type
    ? sql``
    : sql`
      (select r.id, null::int, null::text, r.first_archived_at
       from requests r
       where ${and([...words('r.search'), ...requestFilters(q)])}
       order by r.id desc limit ${n})
      union all`;
  // search_pages holds a row per page of each public attachment (one per content in a request): a document is
  // in it, and so passes the filters, when one of its pages does.
  const documentBranch = sql`
      (select att.request_id, att.id, att.sha256, att.fetched_at
       from attachments att
       where exists (select 1 from search_pages h
                     where h.request_id = att.request_id and h.sha256 = att.sha256 and h.attachment_id = att.id
                       and ${and([...words('h.search'), ...pageFilters(q)])})
       order by att.id desc limit ${n})`;
  const order = (alias: string) => sql.raw(`${alias}.archived desc nulls last, ${alias}.request_id desc, ${alias}.attachment_id desc nulls first`);
  const rows = await inSearchTransaction(db, (tx) =>
    rowsOf<NewestRow>(
      tx,
      sql`
      with newest as (
        select * from (${requestBranch} ${documentBranch}) as m (request_id, attachment_id, sha256, archived)
        order by ${order('m')} limit ${n}
      ),
      p as (
        select newest.*, first.page, first.type from newest
        left join lateral (
          select h.page, h.type from search_pages h
          where h.request_id = newest.request_id and h.sha256 = newest.sha256 and h.attachment_id = newest.attachment_id
            and ${and(words('h.search'))}
          order by h.page limit 1
        ) first on true
      )
      select p.request_id, p.attachment_id, p.sha256, p.page, p.type, coalesce(p.archived, r.first_archived_at) as archived,
             r.remote_id, r.url_title, r.title, a.url_name as authority_url_name, a.name as authority_name, r.status,
             r.remote_created_at as created, att.filename, ${snippetSql(q)} as headline
      from p join requests r on r.id = p.request_id join authorities a on a.id = r.authority_id
      left join attachments att on att.id = p.attachment_id
      left join document_pages dp on dp.sha256 = p.sha256 and dp.page = p.page
      order by ${order('p')}`,
    ),
  );
  return rows.map((row): ArchivedMatch => ({ ...matchFields(row), archivedAt: iso(row.archived) }));
}
