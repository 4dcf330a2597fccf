import { describe, expect, it } from 'vitest';
import { PageKindError, parsePage, parseRemovedPage } from '../../parsers/site/index.js';
import { page } from './helpers.js';

describe('parsePage', () => {
  it.each([
    ['request-folded.html', 'request'],
    ['request-unfolded.html', 'request'],
    ['request-welsh.html', 'request'],
    ['request-old-theme.html', 'request'],
    ['list-page1.html', 'listing'],
    ['list-last.html', 'listing'],
    ['body-page.html', 'listing'],
    ['user-page.html', 'listing'],
    ['removed.html', 'removed'],
    ['attachment-erased.html', 'removed'],
    ['not-found.html', 'unknown'],
    ['challenge.html', 'unknown'],
  ])('classifies %s as %s', (file, kind) => {
    expect(parsePage(page(file)).kind).toBe(kind);
  });

  it('explains why a page is unknown', () => {
    expect(parsePage(page('not-found.html'))).toEqual({ kind: 'unknown', warnings: ['not-found page'] });
    expect(parsePage(page('challenge.html'))).toEqual({
      kind: 'unknown',
      warnings: ['challenge page (WAF or bot check): back off and do not retry at once'],
    });
    expect(parsePage('<html><head><title>Help</title></head><body><p>hi</p></body></html>')).toEqual({
      kind: 'unknown',
      warnings: ['page not recognised (title "Help")'],
    });
  });
});

describe('parseRemovedPage', () => {
  it('reads the hidden-request 403 page', () => {
    expect(parseRemovedPage(page('removed.html'))).toEqual({
      kind: 'removed',
      title: 'Request has been removed',
      notice:
        "This request has been hidden. There are various reasons why we might have done this, sorry we can't be more specific here. Please contact us if you have any questions.",
      warnings: [],
    });
  });

  it('reads the erased-attachment 403 page', () => {
    expect(parseRemovedPage(page('attachment-erased.html'))).toEqual({
      kind: 'removed',
      title: 'Attachment has been erased',
      notice: 'This attachment has been removed and is no longer available.',
      warnings: [],
    });
  });

  it('throws PageKindError on a request page', () => {
    expect(() => parseRemovedPage(page('request-folded.html'))).toThrow(PageKindError);
  });
});
