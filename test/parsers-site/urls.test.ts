import { describe, expect, it } from 'vitest';
import { canonicalRequestUrl, contentTypeFromFilename, parseListingPage, statusLabels } from '../../parsers/site/index.js';
import { page } from './helpers.js';

describe('canonicalRequestUrl', () => {
  it.each([
    ['https://www.whatdotheyknow.com/request/foo_bar?nocache=incoming-123#incoming-123', 'https://www.whatdotheyknow.com/request/foo_bar'],
    ['https://www.whatdotheyknow.com/cy/request/foo_bar?unfold=1', 'https://www.whatdotheyknow.com/request/foo_bar'],
    ['/request/foo_bar.json', 'https://www.whatdotheyknow.com/request/foo_bar'],
    ['/request/foo_bar/details', 'https://www.whatdotheyknow.com/request/foo_bar'],
    ['/request/foo_bar/response/1/attach/2/a.pdf', 'https://www.whatdotheyknow.com/request/foo_bar'],
    ['http://127.0.0.1:8080/request/x?utm_source=y', 'http://127.0.0.1:8080/request/x'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalRequestUrl(input)).toBe(expected);
  });

  it('returns undefined for other URLs', () => {
    expect(canonicalRequestUrl('https://www.whatdotheyknow.com/body/tgq')).toBeUndefined();
    expect(canonicalRequestUrl('http://[bad')).toBeUndefined();
  });

  it('resolves a relative URL against the given base', () => {
    expect(canonicalRequestUrl('/request/x#comment-1', 'http://127.0.0.1:9')).toBe('http://127.0.0.1:9/request/x');
  });
});

describe('site helpers', () => {
  it('maps status keys to the labels the site shows', () => {
    expect(statusLabels['rejected']).toBe('Refused');
    expect(statusLabels['waiting_response_very_overdue']).toBe('Long overdue');
    expect(Object.keys(statusLabels)).toHaveLength(17);
  });

  it('types downloads by extension the way the server does', () => {
    expect(contentTypeFromFilename('Response.DOCX')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(contentTypeFromFilename('bounce.delivery-status')).toBe('message/delivery-status');
    expect(contentTypeFromFilename('hello.qwglhm')).toBe('application/octet-stream');
    expect(contentTypeFromFilename('README')).toBe('application/octet-stream');
  });

  it('resolves listing links against the page URL (a simulator or mirror)', () => {
    const parsed = parseListingPage(page('list-page1.html'), { url: 'http://127.0.0.1:4000/list' });
    expect(parsed.nextPage).toBe('http://127.0.0.1:4000/list?page=2');
    // Sentence links are absolute on the real site and stay as written.
    expect(parsed.items[0]?.authority).toEqual({ name: 'Geraldine Quango', urlName: 'tgq' });
    expect(parsed.items[0]?.href).toBe('http://127.0.0.1:4000/request/why_do_you_have_such_a_fancy_dog#incoming-3');
  });
});
