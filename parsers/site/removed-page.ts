import type { CheerioAPI } from 'cheerio';
import { loadHtml } from './dom.js';
import { PageKindError } from './errors.js';
import { looksLikeRequestPage } from './request-page.js';
import { inlineText } from './text.js';
import type { RemovedPage } from './types.js';

/** The 403 pages for a hidden request, message or attachment (§6.4). */
export function looksLikeRemovedPage($: CheerioAPI): boolean {
  if (looksLikeRequestPage($)) return false;
  const heading = $('h1').first().text();
  return /has been (removed|erased)/i.test(heading) || $('.hidden_message, #hidden_message').length > 0;
}

export function parseRemovedPage(html: string): RemovedPage {
  const $ = loadHtml(html);
  if (!looksLikeRemovedPage($)) throw new PageKindError('removed page', 'no removal notice');
  return readRemovedPage($);
}

export function readRemovedPage($: CheerioAPI): RemovedPage {
  const warnings: string[] = [];
  const heading = $('h1').first();
  const title = heading.text().replace(/\s+/g, ' ').trim();
  if (!title) warnings.push('removed page has no heading');
  const candidates = $('.hidden_message, #hidden_message').length
    ? $('.hidden_message, #hidden_message')
    : heading.nextAll('p');
  const notice =
    candidates
      .map((_, element) => inlineText(element.children))
      .get()
      .find((text) => text !== '') ?? '';
  if (!notice) warnings.push('removed page has no notice text');
  return { kind: 'removed', title, notice, warnings };
}
