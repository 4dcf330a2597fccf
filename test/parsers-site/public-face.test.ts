import { expect, it } from 'vitest';
import * as parsers from '../../parsers/index.js';

it('parsers/index exposes the site parsers and the document extractors together', () => {
  for (const name of [
    'parsePage', 'parseRequestPage', 'parseListingPage', 'parseRemovedPage', 'parseRequestJson', 'parseBodyJson',
    'parseUserJson', 'parseAuthoritiesCsv', 'parseRobots', 'canonicalRequestUrl', 'PageKindError',
    'extract', 'extractIsolated', 'sniffType', 'ExtractError',
  ]) {
    expect(typeof (parsers as Record<string, unknown>)[name], name).toBe('function');
  }
  expect(parsers.statusLabels['successful']).toBe('Successful');
});
