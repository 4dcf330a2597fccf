import { describe, expect, it } from 'vitest';
import { CrawlScopeError, normalizeScope } from '../../crawler/index.js';

describe('a --request URL against --site', () => {
  const site = 'https://www.whatdotheyknow.com';
  const requests = (...refs: string[]) => normalizeScope({ requests: refs }, site).requests;

  it('is taken when it is on the site, with or without www, over http or https, and so are slugs and ids', () => {
    const refs = ['https://whatdotheyknow.com/request/a', 'http://www.whatdotheyknow.com/cy/request/b#incoming-1', 'c', '42'];
    expect(requests(...refs)).toEqual([...refs].sort());
  });

  it('is refused when it is on another site or port, before anything is fetched', () => {
    expect(() => requests('https://www.asktheeu.org/en/request/a')).toThrow(CrawlScopeError);
    expect(() => requests('https://www.asktheeu.org/en/request/a')).toThrow(
      '--request https://www.asktheeu.org/en/request/a is on another site than https://www.whatdotheyknow.com (--site)',
    );
    expect(() => normalizeScope({ requests: ['http://127.0.0.1:8001/request/a'] }, 'http://127.0.0.1:8000')).toThrow(CrawlScopeError);
  });

  it('is refused as no request URL when its slug does not percent-decode', () => {
    expect(() => requests(`${site}/request/a%E0%A4%A`)).toThrow(`--request takes a request slug, URL or numeric id, not "${site}/request/a%E0%A4%A"`);
  });
});

describe('--body and --user names', () => {
  it('are one crawl whatever their order and case, as the site takes them', () => {
    const a = normalizeScope({ bodies: ['DWP', 'leeds_city_council'], users: ['Alice_Smith'] });
    const b = normalizeScope({ bodies: ['leeds_city_council', 'dwp', 'Dwp'], users: ['alice_smith'] });
    expect(a).toEqual(b);
    expect(a.bodies).toEqual(['dwp', 'leeds_city_council']);
    expect(a.users).toEqual(['alice_smith']);
  });
});
