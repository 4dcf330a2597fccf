import type { Cheerio, CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { firstMatch, loadHtml, toInteger } from './dom.js';
import { PageKindError } from './errors.js';
import { inlineText } from './text.js';
import type { ListingEventKind, ListingItem, ListingPage, NamedSlug, PageOptions } from './types.js';
import { absoluteUrl, bodySlugFromHref, requestSlugFromHref, userSlugFromHref } from './urls.js';

const listingMarkers =
  '.request_listing, #user_profile_header, .authority__header, #filter_requests_form, h2.foi_results, .results_block';

/**
 * The class and id names `listingMarkers` looks for: every page parseListingPage accepts contains one of them, so a
 * 200 with none is some other page in its place (a maintenance page, a proxy's), known before parsing it.
 */
export const LISTING_PAGE_WORDS: readonly string[] = ['request_listing', 'user_profile_header', 'authority__header', 'filter_requests_form', 'foi_results', 'results_block'];

export function looksLikeListingPage($: CheerioAPI): boolean {
  return $(listingMarkers).length > 0;
}

/** Reads `/list`, `/body/<x>` and `/user/<x>` pages: one item per listed event. */
export function parseListingPage(html: string, opts: PageOptions = {}): ListingPage {
  const $ = loadHtml(html);
  if (!looksLikeListingPage($)) throw new PageKindError('listing page', 'no request listing');
  return readListingPage($, opts);
}

export function readListingPage($: CheerioAPI, opts: PageOptions): ListingPage {
  const warnings: string[] = [];
  const items: ListingItem[] = [];
  $('div.request_listing').each((index, element) => {
    const item = readItem($, element, opts.url);
    if (item) items.push(item);
    else warnings.push(`listing item ${index + 1} has no request link`);
  });
  const listing: ListingPage = { kind: 'listing', items, warnings };

  const nextHref = $('.pagination a[rel~="next"], .pagination a.next_page, a.next_page').first().attr('href');
  const nextPage = nextHref === undefined ? undefined : absoluteUrl(nextHref, opts.url);
  if (nextPage) listing.nextPage = nextPage;

  const totalText = [
    ...$('h2.foi_results').map((_, el) => $(el).text()).get(),
    $('.authority__header__stats').first().text(),
  ]
    .map((text) => text.replace(/\s+/g, ' ').trim())
    .find((text) => text !== '' && !/^\(.*\)$/.test(text));
  if (totalText) {
    listing.totalText = totalText;
    const total = toInteger(
      firstMatch(/\bof (?:about )?([\d,]+)/i, totalText) ??
        firstMatch(/approximately ([\d,]+)/i, totalText) ??
        firstMatch(/([\d,]*\d)/, totalText),
    );
    if (total !== undefined) listing.total = total;
  }

  listing.page = toInteger($('.pagination em.current, .pagination .current').first().text()) ?? pageFromUrl(opts.url) ?? 1;
  const numbered = $('.pagination a, .pagination em.current, .pagination .current')
    .map((_, el) => toInteger($(el).text().trim()))
    .get()
    .filter((n): n is number => n !== undefined);
  listing.lastPage = Math.max(listing.page, ...numbered);
  return listing;
}

function pageFromUrl(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const page = toInteger(new URL(url).searchParams.get('page') ?? undefined);
    return page !== undefined && page > 0 ? page : undefined;
  } catch {
    return undefined;
  }
}

function readItem($: CheerioAPI, element: Element, pageUrl: string | undefined): ListingItem | undefined {
  const item = $(element);
  const link = item.find('.head a[href*="/request/"], a[href*="/request/"]').first();
  const rawHref = link.attr('href');
  const urlTitle = rawHref === undefined ? undefined : requestSlugFromHref(rawHref);
  const href = rawHref === undefined ? undefined : absoluteUrl(rawHref, pageUrl);
  if (!urlTitle || !href) return undefined;

  const fragment = /#(outgoing|incoming|comment)-(\d+)/.exec(rawHref ?? '');
  const result: ListingItem = {
    urlTitle,
    title: inlineText(link.get(0)!.children),
    href,
    eventKind: (fragment?.[1] as ListingEventKind | undefined) ?? 'sent',
  };
  if (fragment) result.eventId = Number(fragment[2]);

  const sentence = item.find('.requester').first();
  const time = sentence.find('time[datetime]').first().attr('datetime');
  if (time) result.time = time;

  const icon = item.find('i[class*="icon_"]').first();
  const status = firstMatch(/(?:^|\s)icon_([a-z_]+)/, icon.attr('class'));
  if (status) {
    result.status = status;
    const label = icon.parent().find('strong').first().text().replace(/\s+/g, ' ').trim().replace(/\.$/, '');
    if (label) result.statusLabel = label;
  }

  const authority = namedLink(sentence.find('a[href*="/body/"]').first(), bodySlugFromHref);
  if (authority) result.authority = authority;
  const requester = namedLink(sentence.find('a[href*="/user/"]').first(), userSlugFromHref);
  if (requester) result.requester = requester;
  return result;
}

function namedLink(
  link: Cheerio<Element>,
  slugOf: (href: string) => string | undefined,
): NamedSlug | undefined {
  const urlName = slugOf(link.attr('href') ?? '');
  return urlName ? { name: link.text().replace(/\s+/g, ' ').trim(), urlName } : undefined;
}
