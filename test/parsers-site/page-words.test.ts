import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LISTING_PAGE_WORDS, parseListingPage, parseRequestPage, REQUEST_PAGE_WORDS } from '../../parsers/site/index.js';
import { page } from './helpers.js';

const savedPages = [
  ...readdirSync(new URL('../../fixtures/pages/', import.meta.url)).filter((name) => name.endsWith('.html')),
  ...readdirSync(new URL('../../fixtures/pages/simulator/', import.meta.url)).filter((name) => name.endsWith('.html')).map((name) => `simulator/${name}`),
];

const accepts = (parse: (html: string) => unknown, html: string): boolean => {
  try {
    parse(html);
    return true;
  } catch {
    return false;
  }
};

// The fetcher tells a page in the place of a thread page or a listing by these words, before any parsing: each page a
// parser accepts must have one, or a good answer would be retried as the site in trouble.
describe('the words that mark a page the parsers read', () => {
  it.each(savedPages)('%s: accepted by a parser only if it has one of its words', (name) => {
    const html = page(name);
    if (accepts(parseRequestPage, html)) expect(REQUEST_PAGE_WORDS.some((word) => html.includes(word))).toBe(true);
    if (accepts(parseListingPage, html)) expect(LISTING_PAGE_WORDS.some((word) => html.includes(word))).toBe(true);
  });

  it('are found in saved request pages and listings alike, and not in a maintenance page', () => {
    expect(savedPages.filter((name) => accepts(parseRequestPage, page(name))).length).toBeGreaterThanOrEqual(5);
    expect(savedPages.filter((name) => accepts(parseListingPage, page(name))).length).toBeGreaterThanOrEqual(3);
    const maintenance = '<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>Back soon</h1></body></html>';
    expect([...REQUEST_PAGE_WORDS, ...LISTING_PAGE_WORDS].filter((word) => maintenance.includes(word))).toEqual([]);
  });
});
