import type { SearchQuery } from '../storage/index.js';

export const PAGE_SIZE = 20;
/** The API lets a script take bigger pages; exports have no cap at all. */
export const MAX_API_LIMIT = 200;

/** The filters shared by the search page, the API and the exports, as they appear in a URL. */
export const FILTER_PARAMS = ['q', 'authority', 'status', 'requester', 'from', 'to', 'type', 'sort'] as const;

export class BadQueryError extends Error {
  override name = 'BadQueryError';
}

function dateParam(name: string, value: string | undefined, endOfDay: boolean): Date | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new BadQueryError(`${name} takes a date as YYYY-MM-DD, not "${value}"`);
  const date = new Date(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`);
  if (Number.isNaN(date.getTime())) throw new BadQueryError(`${name}: "${value}" is not a real date`);
  return date;
}

function positiveParam(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadQueryError(`${name} takes a whole number from 1 to ${max}, not "${value}"`);
  return n;
}

/** Reads filters (without paging) from URL parameters; blank values mean "no filter". */
export function filtersFromParams(params: Record<string, string | undefined>): SearchQuery {
  const text = params.q?.trim();
  const sort = params.sort;
  if (sort !== undefined && sort !== '' && sort !== 'relevance' && sort !== 'date') {
    throw new BadQueryError(`sort is "relevance" or "date", not "${sort}"`);
  }
  const query: SearchQuery = {};
  if (text) query.text = text;
  if (params.authority) query.authority = params.authority;
  if (params.status) query.status = params.status;
  if (params.requester) query.requester = params.requester;
  if (params.type) query.type = params.type;
  const from = dateParam('from', params.from, false);
  const to = dateParam('to', params.to, true);
  if (from) query.from = from;
  if (to) query.to = to;
  if (sort === 'relevance' || sort === 'date') query.sort = sort;
  return query;
}

/** Filters plus one page of results: `page` for the HTML, `limit`/`offset` also accepted by the API. */
export function pagedQueryFromParams(
  params: Record<string, string | undefined>,
  opts: { maxLimit: number },
): { query: SearchQuery; page: number; limit: number } {
  const limit = positiveParam('limit', params.limit, PAGE_SIZE, opts.maxLimit);
  const page = positiveParam('page', params.page, 1, 100_000);
  const offset = params.offset !== undefined && params.offset !== '' ? Number(params.offset) : (page - 1) * limit;
  if (!Number.isInteger(offset) || offset < 0) throw new BadQueryError(`offset takes a whole number of 0 or more, not "${params.offset}"`);
  return { query: { ...filtersFromParams(params), limit, offset }, page, limit };
}

/** The URL query string for the same filters, with some values replaced (facet links, paging, exports). */
export function withParams(
  params: Record<string, string | undefined>,
  changes: Record<string, string | undefined>,
): string {
  const search = new URLSearchParams();
  for (const name of [...FILTER_PARAMS, 'page']) {
    const value = name in changes ? changes[name] : params[name];
    if (value) search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
