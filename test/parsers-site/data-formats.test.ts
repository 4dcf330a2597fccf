import { describe, expect, it } from 'vitest';
import {
  PageKindError,
  parseAuthoritiesCsv,
  parseBodyJson,
  parseRequestJson,
  parseRobots,
  parseUserJson,
} from '../../parsers/site/index.js';
import { page } from './helpers.js';

const tgq = {
  id: 2,
  urlName: 'tgq',
  name: 'Geraldine Quango',
  shortName: 'TGQ',
  createdAt: '2007-10-25T10:51:01.000+01:00',
  updatedAt: '2007-10-25T10:51:01.000+01:00',
  homePage: 'http://www.localhost',
  notes: '',
  publicationScheme: '',
  disclosureLog: '',
  tags: [['other', null]],
  info: {
    requestsCount: 4,
    requestsSuccessfulCount: 1,
    requestsNotHeldCount: 0,
    requestsOverdueCount: 3,
    requestsVisibleClassifiedCount: 3,
  },
};

function event(id: number, eventType: string, createdAt: string, fields: Record<string, unknown> = {}) {
  return {
    id,
    eventType,
    createdAt,
    describedState: null,
    calculatedState: null,
    lastDescribedAt: null,
    incomingMessageId: null,
    outgoingMessageId: null,
    commentId: null,
    ...fields,
  };
}

describe('parseRequestJson', () => {
  it('reads ids, state, requester, authority and every event, hidden ones included', () => {
    expect(parseRequestJson(page('request.json'))).toEqual({
      id: 101,
      urlTitle: 'why_do_you_have_such_a_fancy_dog',
      title: 'Why do you have & such a fancy dog?',
      createdAt: '2007-10-12T01:56:58.000+01:00',
      updatedAt: '2008-08-12T09:00:00.000+01:00',
      describedState: 'successful',
      displayStatus: 'Successful',
      awaitingDescription: false,
      prominence: 'normal',
      lawUsed: 'foi',
      tags: [['dogs', null], ['openlylocal_id', '12345']],
      user: { id: 1, urlName: 'bob_smith', name: 'Bob Smith', banText: '', aboutMe: 'I like dogs.' },
      publicBody: tgq,
      events: [
        event(900, 'sent', '2007-10-12T01:56:58.000+01:00', {
          calculatedState: 'waiting_response', outgoingMessageId: 1, displayStatus: 'Awaiting response',
        }),
        event(902, 'response', '2007-11-13T18:09:20.000+00:00', {
          describedState: 'successful', calculatedState: 'successful', lastDescribedAt: '2007-11-14T10:00:00.000+00:00',
          incomingMessageId: 1, displayStatus: 'Successful',
        }),
        event(903, 'comment', '2007-11-20T09:30:00.000+00:00', { commentId: 42 }),
        event(904, 'followup_sent', '2007-12-01T10:00:00.000+00:00', {
          describedState: 'internal_review', calculatedState: 'internal_review',
          lastDescribedAt: '2007-12-01T10:00:00.000+00:00', outgoingMessageId: 2, displayStatus: 'Internal review request',
        }),
        event(905, 'followup_resent', '2007-12-02T09:00:00.000+00:00', {
          outgoingMessageId: 2, displayStatus: 'Internal review request',
        }),
        event(906, 'response', '2007-12-05T11:00:00.000+00:00', { incomingMessageId: 2, displayStatus: 'Response' }),
        event(907, 'hide', '2007-12-06T11:00:00.000+00:00', { incomingMessageId: 2 }),
        event(908, 'response', '2008-01-10T15:45:12.000+00:00', {
          describedState: 'successful', calculatedState: 'successful', lastDescribedAt: '2008-01-11T09:00:00.000+00:00',
          incomingMessageId: 3, displayStatus: 'Successful',
        }),
      ],
      warnings: [],
    });
  });

  it('reads an external request (user_name, no user) and warns about odd fields instead of throwing', () => {
    const parsed = parseRequestJson(page('request-external.json'));
    expect(parsed.user).toBeNull();
    expect(parsed.externalUserName).toBeNull();
    expect(parsed.prominence).toBe('backpage');
    expect(parsed.publicBody?.urlName).toBe('leeds_city_council');
    expect(parsed.events).toEqual([event(1, 'sent', '2020-05-01T12:00:00.000+01:00')]);
    expect(parsed.warnings).toEqual([
      'request.info_request_events[0].outgoing_message_id: expected a number, got "7"',
      'request.info_request_events[1]: missing id or event_type',
    ]);
  });

  it('throws PageKindError for text that is not request JSON', () => {
    expect(() => parseRequestJson('')).toThrow(PageKindError);
    expect(() => parseRequestJson('<html></html>')).toThrow(/not a request JSON: invalid JSON/);
    expect(() => parseRequestJson('[1,2]')).toThrow(/JSON is not an object/);
    expect(() => parseRequestJson(page('body.json'))).toThrow(/no numeric "id" and "url_title"/);
  });
});

describe('parseBodyJson and parseUserJson', () => {
  it('reads an authority', () => {
    expect(parseBodyJson(page('body.json'))).toEqual({
      ...tgq,
      notes: 'A very fancy quango.',
      disclosureLog: 'http://www.localhost/disclosure',
      tags: [['other', null], ['wikidata', 'Q123']],
      warnings: [],
    });
  });

  it('reads a user', () => {
    expect(parseUserJson(page('user.json'))).toEqual({
      id: 1, urlName: 'bob_smith', name: 'Bob Smith', banText: '', aboutMe: 'I like dogs.', warnings: [],
    });
  });

  it('throws PageKindError on the wrong object', () => {
    expect(() => parseUserJson('{"url_title":"x"}')).toThrow(PageKindError);
    expect(() => parseBodyJson('{"id":"2"}')).toThrow(PageKindError);
  });
});

describe('parseAuthoritiesCsv', () => {
  it('reads the export: tags split on spaces, "" kept as empty, nil as null, times as written', () => {
    expect(parseAuthoritiesCsv(page('authorities.csv'))).toEqual({
      authorities: [
        {
          id: 2, name: 'Geraldine Quango', shortName: 'TGQ', urlName: 'tgq', tags: ['other', 'wikidata:Q123'],
          homePage: 'http://www.localhost', publicationScheme: '', disclosureLog: '', notes: 'A very fancy quango.',
          createdAt: '2007-10-25 10:51:01 UTC', updatedAt: '2007-10-25 10:51:01 UTC', version: 1,
        },
        {
          id: 3, name: 'Department for Work and Pensions', shortName: 'DWP', urlName: 'dwp',
          tags: ['central_government', 'dept'], homePage: 'https://www.gov.uk/dwp',
          publicationScheme: 'https://www.gov.uk/dwp/pubscheme', disclosureLog: null,
          notes: 'Notes with a comma, and "quotes"', createdAt: '2008-01-01 09:00:00 UTC',
          updatedAt: '2024-03-05 17:20:11 UTC', version: 12,
        },
        {
          id: 4, name: 'Ynys Môn County Council', shortName: null, urlName: 'ynys_mon_county_council',
          tags: ['local_council', 'wales'], homePage: null, publicationScheme: null, disclosureLog: null, notes: null,
          createdAt: '2009-06-01 00:00:00 UTC', updatedAt: '2009-06-01 00:00:00 UTC', version: null,
        },
      ],
      warnings: ['row 5: no name or URL name, skipped'],
    });
  });

  it('accepts the older export without "Internal ID"', () => {
    const csv = 'Name,Short name,URL name,Tags,Home page,Publication scheme,Disclosure log,Notes,Created at,Updated at,Version\n' +
      'Geraldine Quango,TGQ,tgq,,,,,,,,1\n';
    expect(parseAuthoritiesCsv(csv).authorities).toEqual([
      {
        name: 'Geraldine Quango', shortName: 'TGQ', urlName: 'tgq', tags: [], homePage: null, publicationScheme: null,
        disclosureLog: null, notes: null, createdAt: null, updatedAt: null, version: 1,
      },
    ]);
  });

  it('throws PageKindError on another header or broken CSV', () => {
    expect(() => parseAuthoritiesCsv('id,name\n1,x\n')).toThrow(/unexpected header "id,name"/);
    expect(() => parseAuthoritiesCsv('"unterminated\n')).toThrow(PageKindError);
    expect(() => parseAuthoritiesCsv('')).toThrow(PageKindError);
  });
});

describe('parseRobots', () => {
  const robots = parseRobots('https://www.whatdotheyknow.com/robots.txt', page('robots.txt'));
  const ua = 'wdtk-archive/0.1.0 (+mailto:archive@example.org)';
  const at = (path: string) => `https://www.whatdotheyknow.com${path}`;

  it('allows attachments (Allow beats the shorter Disallow), request pages, JSON, listings and the CSV', () => {
    for (const path of [
      '/request/why_do_you_have_such_a_fancy_dog',
      '/request/why_do_you_have_such_a_fancy_dog?unfold=1',
      '/request/why_do_you_have_such_a_fancy_dog.json',
      '/request/why_do_you_have_such_a_fancy_dog/response/1/attach/2/fs%2050379341.pdf?cookie_passthrough=1',
      '/request/why_do_you_have_such_a_fancy_dog/response/1/attach/html/2/fs%2050379341.pdf.html',
      '/cy/request/x/response/1/attach/2/a.pdf',
      '/list?page=2',
      '/body/tgq',
      '/body/all-authorities.csv',
      '/user/bob_smith',
    ]) {
      expect(robots.isAllowed(at(path), ua), path).toBe(true);
    }
  });

  it('disallows search, feeds, track, download, update_status and response pages, also under /cy/', () => {
    for (const path of [
      '/search/dogs/all',
      '/cy/search/dogs/all',
      '/feed/body/tgq',
      '/cy/feed/list/successful',
      '/request/x/feed',
      '/cy/request/x/feed',
      '/request/x/track',
      '/track/request/x',
      '/cy/request/x/track',
      '/request/x/download',
      '/cy/request/x/download',
      '/request/x?update_status=1',
      '/request/x/response/1',
      '/request/x/similar',
      '/request/x/followups/new',
      '/profile/sign_in',
    ]) {
      expect(robots.isAllowed(at(path), ua), path).toBe(false);
    }
  });

  it('reads Crawl-delay per agent and refuses URLs of another origin', () => {
    expect(robots.crawlDelay(ua)).toBeUndefined();
    expect(robots.crawlDelay('SlowBot/2.0')).toBe(10);
    expect(robots.isAllowed(at('/body/tgq'), 'SlowBot')).toBe(false);
    expect(robots.isAllowed('https://example.org/request/x', ua)).toBe(false);
  });
});
