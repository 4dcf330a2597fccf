import type { FrontierItem } from '../storage/index.js';
import { csvItem, listingItem, requestItem, sweepItem, type SweepPayload } from './frontier.js';
import { bodyPath, isUrlName, parseRequestRef, userPath, type DateWindow, type RequestRef, type SiteUrls } from './urls.js';

/** What a run covers; stored on the run row and compared when deciding whether to resume one. */
export interface CrawlScope {
  /** Slugs, request URLs or numeric ids. */
  requests: string[];
  /** Authority url_names. */
  bodies: string[];
  /** User url_names. */
  users: string[];
  /** `/list` back to the last good run. */
  recent: boolean;
  /** `/list` over a window of request dates. */
  backfill: DateWindow | null;
  /** Every authority in `/body/all-authorities.csv`. */
  all: boolean;
  /**
   * Also walk numeric ids up to the highest known one, which finds requests no listing shows
   * (backpage prominence). One request per id: only with the site's approval.
   */
  ids: boolean;
  /**
   * Also re-check the JSON of this many known requests, those checked longest ago: a night's share of a rolling
   * re-check that notices what no listing shows (status changes, removals, renames of threads with no new event).
   */
  recheck: number;
}

export class CrawlScopeError extends Error {
  override name = 'CrawlScopeError';
}

export type ScopeInput = Partial<Omit<CrawlScope, 'backfill'>> & { backfill?: { from: Date | string; to: Date | string } | null };

const isoDay = (value: Date | string) => (typeof value === 'string' ? value : value.toISOString().slice(0, 10));

/** A request URL on another site than the one crawled would have its slug asked of the wrong site. */
function onSite(request: string, site: string): boolean {
  if (!/^https?:\/\//i.test(request.trim())) return true;
  const host = (url: string) => {
    const { hostname, port } = new URL(url);
    return `${hostname.replace(/^www\./, '')}:${port}`;
  };
  return host(request.trim()) === host(site);
}

/** Checks and normalises a scope, so the same crawl asked twice compares equal; with `site`, request URLs must be on it. */
export function normalizeScope(input: ScopeInput, site?: string): CrawlScope {
  const scope: CrawlScope = {
    // Sets, kept sorted: `--body a --body b` is the same crawl as `--body b --body a`, and resumes it. The site's
    // url_names are lower case (it answers another spelling with a 301 to that), so `--body DWP` is `--body dwp`.
    requests: [...new Set(input.requests ?? [])].sort(),
    bodies: [...new Set((input.bodies ?? []).map((name) => name.toLowerCase()))].sort(),
    users: [...new Set((input.users ?? []).map((name) => name.toLowerCase()))].sort(),
    recent: input.recent ?? false,
    backfill: input.backfill ? { from: isoDay(input.backfill.from), to: isoDay(input.backfill.to) } : null,
    all: input.all ?? false,
    ids: input.ids ?? false,
    recheck: input.recheck ?? 0,
  };
  if (!Number.isInteger(scope.recheck) || scope.recheck < 0) throw new CrawlScopeError(`--recheck takes a whole number of requests, not ${scope.recheck}`);
  for (const request of scope.requests) {
    if (!parseRequestRef(request)) throw new CrawlScopeError(`--request takes a request slug, URL or numeric id, not "${request}"`);
    if (site !== undefined && !onSite(request, site)) throw new CrawlScopeError(`--request ${request} is on another site than ${site} (--site)`);
  }
  for (const name of [...scope.bodies, ...scope.users]) {
    if (!isUrlName(name)) throw new CrawlScopeError(`"${name}" is not a url_name (letters, digits, _ and -)`);
  }
  if (scope.backfill && scope.backfill.from > scope.backfill.to) {
    throw new CrawlScopeError(`--from ${scope.backfill.from} is after --to ${scope.backfill.to}`);
  }
  if (!scope.requests.length && !scope.bodies.length && !scope.users.length && !scope.recent && !scope.backfill && !scope.all && !scope.ids && !scope.recheck) {
    throw new CrawlScopeError('nothing to crawl: give --request, --body, --user, --recent, --backfill, --all, --ids or --recheck');
  }
  return scope;
}

export function describeScope(scope: CrawlScope): string {
  const parts: string[] = [];
  if (scope.all) parts.push('all authorities');
  if (scope.recent) parts.push('recent changes');
  if (scope.backfill) parts.push(`requests made ${scope.backfill.from} to ${scope.backfill.to}`);
  if (scope.bodies.length) parts.push(`authorities ${scope.bodies.join(', ')}`);
  if (scope.users.length) parts.push(`users ${scope.users.join(', ')}`);
  if (scope.ids) parts.push('numeric ids up to the highest known');
  if (scope.requests.length) parts.push(`${scope.requests.length} request${scope.requests.length === 1 ? '' : 's'}`);
  if (scope.recheck) parts.push(`a re-check of the ${scope.recheck} known requests checked longest ago`);
  return parts.join('; ');
}

/** True for scopes that see every change on the site, so a good run of one is a watermark for `--recent`. */
export function coversEverything(scope: Record<string, unknown>): boolean {
  return scope['all'] === true || scope['recent'] === true;
}

/**
 * The first frontier rows of a run. The sweep comes last (lowest priority): it re-checks the known
 * requests in scope that discovery did not list, which is how removals and renames are noticed.
 */
export function seedItems(scope: CrawlScope, urls: SiteUrls, recentCutoff: Date | null): FrontierItem[] {
  const items: FrontierItem[] = [];
  for (const request of scope.requests) items.push(requestItem(urls, parseRequestRef(request) as RequestRef));
  for (const body of scope.bodies) items.push(listingItem(urls, { scan: 'plain', basePath: bodyPath(body), page: 1 }));
  for (const user of scope.users) items.push(listingItem(urls, { scan: 'plain', basePath: userPath(user), page: 1 }));
  if (scope.recent) items.push(listingItem(urls, { scan: 'recent', basePath: '/list', page: 1, cutoff: recentCutoff?.toISOString() ?? null }));
  if (scope.backfill) items.push(listingItem(urls, { scan: 'window', basePath: '/list', page: 1, window: scope.backfill }));
  if (scope.all) items.push(csvItem(urls));

  const recheckKnown = scope.all || scope.bodies.length > 0 || scope.users.length > 0 || scope.backfill !== null;
  if (recheckKnown || scope.ids) {
    const sweep: SweepPayload = { sweep: true, recheckKnown, ids: scope.ids };
    if (!scope.all) {
      if (scope.bodies.length) sweep.authorities = scope.bodies;
      if (scope.users.length) sweep.requesters = scope.users;
      if (scope.backfill) sweep.window = scope.backfill;
    }
    items.push(sweepItem(urls, sweep));
  }
  return items;
}
