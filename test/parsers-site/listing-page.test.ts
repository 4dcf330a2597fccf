import { describe, expect, it } from 'vitest';
import { PageKindError, parseListingPage } from '../../parsers/site/index.js';
import type { ListingItem, ListingPage } from '../../parsers/site/index.js';
import { page } from './helpers.js';

const site = 'https://www.whatdotheyknow.com';
const tgq = { name: 'Geraldine Quango', urlName: 'tgq' };
const bob = { name: 'Bob Smith', urlName: 'bob_smith' };

const fancyDogResponse: ListingItem = {
  urlTitle: 'why_do_you_have_such_a_fancy_dog',
  title: 'Why do you have & such a fancy dog?',
  href: `${site}/request/why_do_you_have_such_a_fancy_dog#incoming-3`,
  eventKind: 'incoming',
  eventId: 3,
  time: '2008-01-10T15:45:12+00:00',
  status: 'successful',
  statusLabel: 'Successful',
  authority: tgq,
  requester: bob,
};

const chickensAnnotated: ListingItem = {
  urlTitle: 'how_much_public_money_is_wasted_o',
  title: 'How much public money is wasted on breeding naughty chickens?',
  href: `${site}/request/how_much_public_money_is_wasted_o#comment-43`,
  eventKind: 'comment',
  eventId: 43,
  time: '2008-01-09T12:00:00+00:00',
  status: 'waiting_response_very_overdue',
  statusLabel: 'Long overdue',
  authority: tgq,
  // The annotator (Alice) is named after the requester in the sentence.
  requester: bob,
};

const dogAllowancesSent: ListingItem = {
  urlTitle: 'statistics_on_fancy_dog_allowanc',
  title: 'Statistics on fancy dog allowances',
  href: `${site}/request/statistics_on_fancy_dog_allowanc`,
  eventKind: 'sent',
  time: '2008-01-08T10:11:12+00:00',
  status: 'waiting_classification',
  statusLabel: 'Awaiting classification',
  authority: { name: 'Department for Work and Pensions', urlName: 'dwp' },
  requester: { name: 'Some Journalist', urlName: 'some_journalist' },
};

const parkingReview: ListingItem = {
  urlTitle: 'parking_fines_2007',
  title: 'Parking fines 2007',
  href: `${site}/request/parking_fines_2007#outgoing-88`,
  eventKind: 'outgoing',
  eventId: 88,
  time: '2008-01-07T17:00:00+00:00',
  status: 'internal_review',
  statusLabel: 'Awaiting internal review',
  authority: { name: 'Leeds City Council', urlName: 'leeds_city_council' },
  requester: { name: 'Dan P', urlName: 'dan_p' },
};

describe('parseListingPage', () => {
  it('reads /list page 1: every item, the next page, the estimated total', () => {
    expect(parseListingPage(page('list-page1.html'), { url: `${site}/list` })).toEqual({
      kind: 'listing',
      items: [fancyDogResponse, chickensAnnotated, dogAllowancesSent, parkingReview],
      nextPage: `${site}/list?page=2`,
      totalText: 'About 1,234 FOI requests found',
      total: 1234,
      page: 1,
      lastPage: 20,
      warnings: [],
    } satisfies ListingPage);
  });

  it('reads the last /list page with no next page', () => {
    expect(parseListingPage(page('list-last.html'), { url: `${site}/list?page=20` })).toEqual({
      kind: 'listing',
      items: [dogAllowancesSent, parkingReview],
      totalText: 'About 1,234 FOI requests found',
      total: 1234,
      page: 20,
      lastPage: 20,
      warnings: [],
    } satisfies ListingPage);
  });

  it('reads an authority page: the count sits in the header, the last page has no next link', () => {
    expect(parseListingPage(page('body-page.html'), { url: `${site}/body/tgq?page=2` })).toEqual({
      kind: 'listing',
      items: [fancyDogResponse, chickensAnnotated],
      totalText: '4 requests',
      total: 4,
      page: 2,
      lastPage: 2,
      warnings: [],
    } satisfies ListingPage);
  });

  it('reads a user page: requests and annotations share the listing', () => {
    const parsed = parseListingPage(page('user-page.html'), { url: `${site}/user/bob_smith` });
    expect(parsed).toEqual({
      kind: 'listing',
      items: [
        fancyDogResponse,
        {
          ...fancyDogResponse,
          href: `${site}/request/why_do_you_have_such_a_fancy_dog#outgoing-2`,
          eventKind: 'outgoing',
          eventId: 2,
          time: '2007-12-01T10:00:00+00:00',
        },
        {
          ...chickensAnnotated,
          href: `${site}/request/how_much_public_money_is_wasted_o#comment-44`,
          eventId: 44,
          time: '2007-12-24T09:00:00+00:00',
          requester: { name: 'Alice', urlName: 'alice' },
        },
      ],
      nextPage: `${site}/user/bob_smith?page=2`,
      totalText: "This person's Freedom of Information requests (approximately 27)",
      total: 27,
      page: 1,
      lastPage: 2,
      warnings: [],
    } satisfies ListingPage);
  });

  it('warns about an item without a request link and keeps the rest', () => {
    const html = `<div class="results_block">
      <div class="request_listing"><span class="head">no link</span></div>
      <div class="request_listing"><span class="head"><a href="/request/x">X</a></span></div></div>`;
    const parsed = parseListingPage(html, { url: 'https://example.org/list?page=3' });
    expect(parsed.items).toEqual([
      { urlTitle: 'x', title: 'X', href: 'https://example.org/request/x', eventKind: 'sent' },
    ]);
    expect(parsed.page).toBe(3);
    expect(parsed.warnings).toEqual(['listing item 1 has no request link']);
  });

  it('skips a link whose percent-escapes do not decode, with a warning, and keeps the rest of the page', () => {
    const html = page('list-page1.html').replace('href="/request/why_do_you_have_such_a_fancy_dog#incoming-3"', 'href="/request/bad%E0%A4%A#incoming-3"');
    const parsed = parseListingPage(html, { url: `${site}/list` });
    expect(parsed.items.map((item) => item.urlTitle)).not.toContain('bad%E0%A4%A');
    expect(parsed.items).toHaveLength(parseListingPage(page('list-page1.html'), { url: `${site}/list` }).items.length - 1);
    expect(parsed.warnings).toEqual(['listing item 1 has no request link']);
  });

  it('throws PageKindError on a request page', () => {
    expect(() => parseListingPage(page('request-folded.html'))).toThrow(PageKindError);
  });
});
