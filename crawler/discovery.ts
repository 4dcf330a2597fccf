import { parseAuthoritiesCsv, parseListingPage } from '../parsers/index.js';
import type { FrontierItem, SearchQuery } from '../storage/index.js';
import { fetchAndKeep, UnexpectedResponseError, type RunContext } from './context.js';
import { listingItem, requestItem, sweepItem, type ListingScan, type SweepPayload } from './frontier.js';
import { bodyPath, splitWindow, type DateWindow } from './urls.js';

/** Listings stop at page 20 (25 items each): 500 results is all a listing will ever show. */
export const LISTING_PAGE_CAP = 20;
export const LISTING_RESULT_CAP = 500;

/** Every date a request could have: the whole history of the site, in windows small enough to list. */
export function wholeHistory(today: Date): DateWindow {
  return { from: '2007-01-01', to: new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10) };
}

/**
 * One listing page: queue every request it shows, then decide what to list next (the next page,
 * or two half windows when the listing is too big to page through).
 */
export async function crawlListing(ctx: RunContext, url: string, scan: ListingScan): Promise<void> {
  const { response } = await fetchAndKeep(ctx, url, 'listing', { conditional: true });
  // Pages past the cap answer 404; so does an empty filtered listing on some versions.
  if (response.status === 404 && scan.page > 1) return;
  if (response.status !== 200) throw new UnexpectedResponseError(response.url, response.status);
  const listing = parseListingPage(response.text(), { url: response.url });

  // A date window's size shows only in its pagination: an authority page's header counts all the authority's
  // requests whatever the filter, so splitting on it would halve windows down to single days.
  const tooBig = scan.scan === 'window' ? (listing.lastPage ?? 1) >= LISTING_PAGE_CAP : (listing.total ?? 0) >= LISTING_RESULT_CAP;
  if (scan.page === 1 && tooBig && (await listInParts(ctx, scan, response.url, listing.total))) return;

  for (const item of listing.items) {
    const time = item.time === undefined ? Number.NaN : Date.parse(item.time);
    if (time > ctx.counters.newestListedMs) ctx.counters.newestListedMs = time;
  }
  // A recent scan asks only about what happened since the mark: the rest of the page was seen by the run that set it.
  const cutoff = scan.scan === 'recent' && scan.cutoff !== null ? Date.parse(scan.cutoff) : Number.NEGATIVE_INFINITY;
  const olderThanCutoff = (item: (typeof listing.items)[number]) => item.time !== undefined && Date.parse(item.time) < cutoff;
  const slugs = [...new Set(listing.items.filter((item) => !olderThanCutoff(item)).map((item) => item.urlTitle))];
  if (slugs.length) await ctx.archive.frontier.add(ctx.runId, slugs.map((slug) => requestItem(ctx.urls, { slug })));
  if (listing.items.some(olderThanCutoff)) return;
  const more = listing.nextPage !== undefined || listing.items.length >= 25;
  if (more && scan.page < LISTING_PAGE_CAP && listing.items.length > 0) {
    await ctx.archive.frontier.add(ctx.runId, [listingItem(ctx.urls, { ...scan, page: scan.page + 1 })]);
  } else if (more && scan.scan !== 'recent') {
    // The site's count is Xapian's estimate: a listing it put under 500 can still fill page 20. Listed again in parts,
    // at the cost of these pages, rather than stop at the cap with the rest unseen.
    if (!(await listInParts(ctx, scan, response.url, listing.total))) {
      ctx.log.warn(
        { url: response.url, total: listing.total },
        `the listing goes on past page ${LISTING_PAGE_CAP}, as far as the site lists, and cannot be split further: later results cannot be reached`,
      );
    }
  } else if (more && scan.scan === 'recent' && scan.cutoff !== null) {
    ctx.counters.listingsCutShort++;
    ctx.log.warn(
      { url: response.url, cutoff: scan.cutoff },
      `the newest-first listing ends at page ${LISTING_PAGE_CAP} before the last run's mark: threads changed in between may be missed; this run will not be a mark for the next --recent, and \`crawl --all\` covers the gap`,
    );
  }
}

/**
 * Queues a listing too big to page through as smaller ones: a date window in halves, an authority over its whole
 * history in date windows. False when it cannot be split (one day, a user's listing); the caller pages what it can.
 */
async function listInParts(ctx: RunContext, scan: ListingScan, url: string, total: number | undefined): Promise<boolean> {
  if (scan.scan === 'window') {
    const halves = splitWindow(scan.window);
    if (halves) {
      await ctx.archive.frontier.add(ctx.runId, halves.map((window) => listingItem(ctx.urls, { ...scan, window, page: 1 })));
      return true;
    }
    return false;
  }
  if (scan.scan === 'plain' && scan.basePath.startsWith('/body/')) {
    ctx.log.info({ url, total }, 'authority has too many requests for one listing: splitting by date');
    await ctx.archive.frontier.add(ctx.runId, [listingItem(ctx.urls, { scan: 'window', basePath: scan.basePath, page: 1, window: wholeHistory(new Date()) })]);
    return true;
  }
  return false;
}

/** `/body/all-authorities.csv`: one listing per authority. */
export async function crawlAuthorities(ctx: RunContext, url: string): Promise<void> {
  const { response } = await fetchAndKeep(ctx, url, 'csv');
  if (response.status === 204) throw new UnexpectedResponseError(response.url, 204);
  if (response.status !== 200) throw new UnexpectedResponseError(response.url, response.status);
  const { authorities, warnings } = parseAuthoritiesCsv(response.text());
  if (warnings.length) ctx.log.warn({ url: response.url, warnings }, 'authorities CSV had problems');
  ctx.log.info({ authorities: authorities.length }, 'authorities listed');
  await ctx.archive.frontier.add(
    ctx.runId,
    authorities.map((a) => listingItem(ctx.urls, { scan: 'plain', basePath: bodyPath(a.urlName), page: 1 })),
  );
}

/**
 * Queues the known, not yet removed requests in scope. Their keys are their stored slugs, so the ones discovery
 * already listed are not fetched twice; what remains are requests the site stopped listing: removed, embargoed, or
 * renamed (the old slug then leads through the numeric id, as does a slug that two known requests hold). With `ids`,
 * also the numeric ids up to the highest known that the archive has never seen, a chunk at a time.
 */
export async function sweepKnownRequests(ctx: RunContext, sweep: SweepPayload): Promise<void> {
  // A request the site keeps off its listings (backpage) is known all the same, and checked like any other.
  const base = { siteId: ctx.siteId, includeUnlisted: true };
  const items: FrontierItem[] = [];
  if (sweep.recheckKnown) {
    const queries: SearchQuery[] = [];
    for (const authority of sweep.authorities ?? []) queries.push({ ...base, authority });
    for (const requester of sweep.requesters ?? []) queries.push({ ...base, requester });
    if (sweep.window) {
      queries.push({ ...base, from: new Date(`${sweep.window.from}T00:00:00Z`), to: new Date(`${sweep.window.to}T23:59:59.999Z`) });
    }
    if (!queries.length) queries.push(base);
    const holders = new Map<string, Set<number>>();
    for (const query of queries) {
      for await (const row of ctx.archive.exportRows(query)) {
        if (row.kind === 'request') holders.set(row.urlTitle, (holders.get(row.urlTitle) ?? new Set()).add(row.remoteId));
      }
    }
    for (const [slug, remoteIds] of holders) {
      // Two known requests under one slug: one was renamed and the other took its old slug, so the slug alone
      // cannot say which of them it names now; each is checked through its numeric id.
      if (remoteIds.size > 1) items.push(...[...remoteIds].map((remoteId) => requestItem(ctx.urls, { remoteId })));
      else items.push(requestItem(ctx.urls, { slug, remoteId: [...remoteIds][0]! }));
    }
    ctx.log.info({ known: holders.size }, 'known requests in scope queued for a check');
  }
  if (sweep.ids) items.push(...(await nextIdsToWalk(ctx, sweep)));
  await ctx.archive.frontier.add(ctx.runId, items);
}

/**
 * The next `ctx.idWalkChunk` numeric ids the archive has never seen, up to the highest known when the walk began, and a
 * sweep after them for the rest. A chunk at a time: walking up to an id of 1.3 million (or one a site made up) queued
 * every unseen id at once, hundreds of MB in memory and as many frontier rows before the first was asked for.
 */
async function nextIdsToWalk(ctx: RunContext, sweep: SweepPayload): Promise<FrontierItem[]> {
  const from = sweep.idsFrom ?? 1;
  const upTo = sweep.idsUpTo ?? (await ctx.archive.highestRemoteId(ctx.siteId));
  const unseen = from <= upTo ? await ctx.archive.unseenRemoteIds(ctx.siteId, from, upTo, ctx.idWalkChunk) : [];
  const items = unseen.map((remoteId) => requestItem(ctx.urls, { remoteId }));
  // A full chunk may have stopped short of the end: the rest is the next sweep's.
  const next = unseen.length === ctx.idWalkChunk ? unseen[unseen.length - 1]! + 1 : upTo + 1;
  ctx.log.info({ from, to: next - 1, highest: upTo, unseen: unseen.length }, 'numeric ids never seen queued for a check');
  if (next <= upTo) items.push(sweepItem(ctx.urls, { sweep: true, recheckKnown: false, ids: true, idsFrom: next, idsUpTo: upTo }));
  return items;
}
