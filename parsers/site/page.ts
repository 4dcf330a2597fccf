import { loadHtml } from './dom.js';
import { looksLikeListingPage, readListingPage } from './listing-page.js';
import { looksLikeRemovedPage, readRemovedPage } from './removed-page.js';
import { looksLikeRequestPage, readRequestPage } from './request-page.js';
import type { PageOptions, ParsedPage } from './types.js';

/** Classifies a saved or fetched page and reads it with the matching parser. */
export function parsePage(html: string, opts: PageOptions = {}): ParsedPage {
  const $ = loadHtml(html);
  const title = $('title').first().text().trim();
  if (/^Just a moment/i.test(title) || $('#challenge-form, #cf-wrapper, #challenge-running').length) {
    return { kind: 'unknown', warnings: ['challenge page (WAF or bot check): back off and do not retry at once'] };
  }
  if ($('#error-page').length || /couldn't find that page/i.test($('h1').first().text())) {
    return { kind: 'unknown', warnings: ['not-found page'] };
  }
  if (looksLikeRequestPage($)) return readRequestPage($, opts);
  if (looksLikeRemovedPage($)) return readRemovedPage($);
  if (looksLikeListingPage($)) return readListingPage($, opts);
  return { kind: 'unknown', warnings: [`page not recognised${title ? ` (title "${title}")` : ''}`] };
}
