import { exemptionCode, TIMELINESS_OUTCOMES, type SearchQuery, type TimelinessOrder, type TimelinessScope } from '../storage/index.js';

export const PAGE_SIZE = 20;
/** The API lets a script take bigger pages; exports have no cap at all. */
export const MAX_API_LIMIT = 200;
const MAX_PAGE = 100_000;
export const MAX_OFFSET = MAX_PAGE * MAX_API_LIMIT;

/** The filters shared by the search page, the API and the exports, as they appear in a URL. */
export const FILTER_PARAMS = ['q', 'authority', 'status', 'requester', 'from', 'to', 'type', 'exemption', 'timeliness', 'sort'] as const;

export class BadQueryError extends Error {
  override name = 'BadQueryError';
}

/** A text parameter as given; Postgres refuses a NUL character in text, so it is refused here first. */
export function textParam(name: string, value: string | undefined): string | undefined {
  if (value?.includes('\u0000')) throw new BadQueryError(`${name} must not contain a NUL character (%00)`);
  return value;
}

function dateParam(name: string, value: string | undefined, endOfDay: boolean): Date | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new BadQueryError(`${name} takes a date as YYYY-MM-DD, not "${value}"`);
  const date = new Date(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`);
  // Date rolls an impossible day over (2024-02-30 is 1 March), so the date must read back as given.
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw new BadQueryError(`${name}: "${value}" is not a real date`);
  return date;
}

/**
 * A whole number in plain decimal digits from min to max. Number() alone would take 0x10, 1e3 and " 7", and
 * round 9007199254740993 to a neighbour.
 */
function wholeParam(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw new BadQueryError(`${name} takes a whole number from ${min} to ${max} in plain digits, not "${value}"`);
  return n;
}

export function positiveParam(name: string, value: string | undefined, fallback: number, max: number): number {
  return wholeParam(name, value, fallback, 1, max);
}

/** Reads filters (without paging) from URL parameters; blank values mean "no filter". */
export function filtersFromParams(params: Record<string, string | undefined>): SearchQuery {
  for (const name of FILTER_PARAMS) textParam(name, params[name]);
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
  if (params.exemption) {
    const code = exemptionCode(params.exemption);
    if (!code) throw new BadQueryError(`exemption takes a code such as "FOIA s40", "FOISA s38" or "EIR 12(5)(e)" (the list is at /exemptions), not "${params.exemption}"`);
    query.exemption = code;
  }
  if (params.timeliness) {
    const outcome = TIMELINESS_OUTCOMES.find((known) => known === params.timeliness);
    if (!outcome) throw new BadQueryError(`timeliness is one of ${TIMELINESS_OUTCOMES.join(', ')}, not "${params.timeliness}"`);
    query.timeliness = outcome;
  }
  const from = dateParam('from', params.from, false);
  const to = dateParam('to', params.to, true);
  if (from) query.from = from;
  if (to) query.to = to;
  if (sort === 'relevance' || sort === 'date') query.sort = sort;
  return query;
}

/** Filters plus one page of results: `page` and `limit`, and for the API also `offset`, which wins over `page`. */
export function pagedQueryFromParams(
  params: Record<string, string | undefined>,
  opts: {
    maxLimit: number;
    /** false on HTML pages: their links and "page N of M" count by `page`, which an offset would contradict. @default true */
    offset?: boolean;
  },
): { query: SearchQuery; page: number; limit: number } {
  const limit = positiveParam('limit', params.limit, PAGE_SIZE, opts.maxLimit);
  const page = positiveParam('page', params.page, 1, MAX_PAGE);
  if (opts.offset === false && params.offset !== undefined) throw new BadQueryError('this page is paged with page=N (and limit); offset is for /api/search');
  const offset = wholeParam('offset', params.offset, (page - 1) * limit, 0, MAX_OFFSET);
  return { query: { ...filtersFromParams(params), limit, offset }, page, limit };
}

/** The URL query string for the same filters, with some values replaced (facet links, paging, exports). */
export function withParams(
  params: Record<string, string | undefined>,
  changes: Record<string, string | undefined>,
): string {
  const search = new URLSearchParams();
  for (const name of [...FILTER_PARAMS, 'limit', 'page']) {
    const value = name in changes ? changes[name] : params[name];
    if (value) search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface TimelinessView extends TimelinessScope {
  order: TimelinessOrder;
  minRequests: number;
  page: number;
  limit: number;
  offset: number;
}

/** The timeliness table's parameters: `order` (requests, late), `min` requests, `from`/`to` (sent), and paging as search's. */
export function timelinessViewFromParams(params: Record<string, string | undefined>, opts: { maxLimit: number; offset?: boolean }): TimelinessView {
  const order = params.order || 'requests';
  if (order !== 'requests' && order !== 'late') throw new BadQueryError(`order is "requests" or "late", not "${order}"`);
  const limit = positiveParam('limit', params.limit, PAGE_SIZE, opts.maxLimit);
  const page = positiveParam('page', params.page, 1, MAX_PAGE);
  if (opts.offset === false && params.offset !== undefined) throw new BadQueryError('this page is paged with page=N (and limit); offset is for /api/timeliness');
  const view: TimelinessView = {
    order,
    minRequests: positiveParam('min', params.min, 1, 1_000_000),
    page,
    limit,
    offset: wholeParam('offset', params.offset, (page - 1) * limit, 0, MAX_OFFSET),
  };
  const from = dateParam('from', params.from, false);
  const to = dateParam('to', params.to, true);
  if (from) view.from = from;
  if (to) view.to = to;
  return view;
}
