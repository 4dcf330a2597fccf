// What the simulator's log says a client asked for, and the fewest requests a full crawl could make.
import robotsParserCjs from 'robots-parser';
import { ROBOTS_TXT, type GroundTruth, type RequestLogEntry } from '../../fixtures/site/index.js';

// The package's types describe an ES default export; under NodeNext the CommonJS module itself is the function.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

export type RequestCategory = 'robots' | 'csv' | 'listing' | 'json' | 'page' | 'attachment' | 'masking' | 'other';

export function categoryOf(path: string): RequestCategory {
  const [pathname = ''] = path.split('?');
  if (pathname === '/robots.txt') return 'robots';
  if (pathname === '/body/all-authorities.csv') return 'csv';
  if (/^\/request\/[^/]+\/response\/\d+\/attach\//.test(pathname)) return 'attachment';
  if (pathname.startsWith('/attachments/')) return 'masking';
  if (/^\/request\/[^/]+\.json$/.test(pathname)) return 'json';
  if (/^\/request\/[^/.]+$/.test(pathname)) return 'page';
  if (pathname === '/list' || /^\/list\/[a-z]+$/.test(pathname) || /^\/(body|user)\/[^/.]+(\/[a-z]+)?$/.test(pathname)) return 'listing';
  return 'other';
}

export interface LogTally {
  total: number;
  byCategory: Record<RequestCategory, number>;
  /** Responses other than 200 (redirects, 304, 404...), by status. */
  nonOk: Record<number, number>;
}

export function tally(log: readonly RequestLogEntry[]): LogTally {
  const byCategory: Record<RequestCategory, number> = { robots: 0, csv: 0, listing: 0, json: 0, page: 0, attachment: 0, masking: 0, other: 0 };
  const nonOk: Record<number, number> = {};
  for (const entry of log) {
    byCategory[categoryOf(entry.path)]++;
    if (entry.status !== 200) nonOk[entry.status] = (nonOk[entry.status] ?? 0) + 1;
  }
  return { total: log.length, byCategory, nonOk };
}

export const LISTING_PAGE_SIZE = 25;

export interface MinimumCrawl {
  /** Threads a listing robots.txt allows shows (prominence normal): what `crawl --all` can find. */
  threads: number;
  /** Authorities whose listing robots.txt forbids (`Disallow: *\/tor*` catches /body/tor...), and their listed threads. */
  disallowedAuthorities: string[];
  threadsBehindDisallowed: number;
  attachments: number;
  attachmentBytes: number;
  authorities: number;
  /** One page per authority with nothing listed, else ceil(listed / 25): a lower bound for big authorities split by date. */
  listingPages: number;
  /** robots.txt + authorities CSV + listing pages + (JSON + page) per thread + public attachments. */
  requests: number;
}

/** The fewest requests that archive every listed thread with its public attachments, from the ground truth. */
export function minimumCrawl(truth: GroundTruth, base: string, userAgent = 'wdtk-archive'): MinimumCrawl {
  const robots = robotsParser(`${base}/robots.txt`, ROBOTS_TXT);
  const disallowed = new Set(truth.authorities.filter((a) => robots.isAllowed(`${base}/body/${a.urlName}`, userAgent) === false).map((a) => a.urlName));
  const shown = truth.requests.filter((request) => request.prominence === 'normal');
  const listed = shown.filter((request) => !disallowed.has(request.authority.urlName));
  const perAuthority = new Map<string, number>(truth.authorities.filter((a) => !disallowed.has(a.urlName)).map((authority) => [authority.urlName, 0]));
  for (const request of listed) perAuthority.set(request.authority.urlName, (perAuthority.get(request.authority.urlName) ?? 0) + 1);
  let listingPages = 0;
  for (const count of perAuthority.values()) listingPages += Math.max(1, Math.ceil(count / LISTING_PAGE_SIZE));
  const attachments = listed.flatMap((request) =>
    request.events.flatMap((event) => (event.hidden ? [] : event.attachments.filter((attachment) => !attachment.hidden))),
  );
  return {
    threads: listed.length,
    disallowedAuthorities: [...disallowed],
    threadsBehindDisallowed: shown.length - listed.length,
    attachments: attachments.length,
    attachmentBytes: attachments.reduce((sum, attachment) => sum + attachment.size, 0),
    authorities: perAuthority.size,
    listingPages,
    requests: 2 + listingPages + 2 * listed.length + attachments.length,
  };
}
