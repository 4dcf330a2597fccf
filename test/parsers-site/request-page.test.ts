import { describe, expect, it } from 'vitest';
import { PageKindError, parseRequestPage } from '../../parsers/site/index.js';
import type { RequestEvent, RequestPage } from '../../parsers/site/index.js';
import { page } from './helpers.js';

const T = 'why_do_you_have_such_a_fancy_dog';
const site = 'https://www.whatdotheyknow.com';

const outgoing1: RequestEvent = {
  kind: 'outgoing',
  id: 1,
  time: '2007-10-12T01:56:58+01:00',
  author: 'Bob Smith',
  hidden: false,
  text: 'Dear Geraldine Quango,\n\nWhy do you have such a fancy dog?\n\nYours faithfully,\n\nBob Smith',
  attachments: [],
};

const incoming1Attachments = [
  {
    id: 789,
    part: 2,
    filename: 'fs 50379341.pdf',
    url: `${site}/request/${T}/response/1/attach/2/fs%2050379341.pdf?cookie_passthrough=1`,
    contentType: 'application/pdf',
    sizeText: '29K',
    hidden: false,
  },
  { id: 790, hidden: true },
  {
    id: 791,
    filename: 'Participant List.doc',
    contentType: 'application/vnd.ms-word',
    sizeText: '1K',
    hidden: false,
    erased: true,
  },
];

const comment42: RequestEvent = {
  kind: 'comment',
  id: 42,
  time: '2007-11-20T09:30:00+00:00',
  author: 'Alice',
  hidden: false,
  // Long link texts stay shortened as the page shows them.
  text:
    'The ICO decision is relevant here, see https://ico.org.uk/media/action-weve-tak...\n\n' +
    'Good luck.\nAlice',
  attachments: [],
};

const internalReview: RequestEvent = {
  kind: 'outgoing',
  id: 2,
  time: '2007-12-01T10:00:00+00:00',
  author: 'Bob Smith',
  hidden: false,
  resent: true,
  text:
    'Dear Geraldine Quango,\n\n' +
    'Please pass this on to the person who conducts Freedom of Information reviews.\n\n' +
    "I am writing to request an internal review of Geraldine Quango's handling of my FOI request 'Why do you have & such a fancy dog?'.\n" +
    'Please reply to [email address].\n\n' +
    `A full history of my FOI request and all correspondence is available on the Internet at this address: ${site}/request/w...\n\n` +
    'Yours faithfully,\n\nBob Smith',
  attachments: [],
};

const hiddenIncoming: RequestEvent = {
  kind: 'incoming',
  id: 2,
  time: '2007-12-05T11:00:00+00:00',
  author: 'Jane Doe',
  hidden: true,
  attachments: [],
};

const incoming3: RequestEvent = {
  kind: 'incoming',
  id: 3,
  time: '2008-01-10T15:45:12+00:00',
  author: 'Jane Doe, Geraldine Quango',
  hidden: false,
  text:
    'Dear Mr Smith,\n\nInternal review: FOI 2007/123\n' +
    'The review upheld the original decision. Costs are in the attached spreadsheet.\n\n' +
    'Contact us at [email address] or [mobile number].',
  attachments: [
    {
      id: 800,
      part: 3,
      filename: 'Review outcome.xlsx',
      url: `${site}/request/${T}/response/3/attach/3/Review%20outcome.xlsx?cookie_passthrough=1`,
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      sizeText: '1.2M',
      hidden: false,
    },
    {
      id: 801,
      part: 4,
      filename: 'dog costs.csv',
      url: `${site}/request/${T}/response/3/attach/4/dog%20costs.csv?cookie_passthrough=1`,
      contentType: 'text/csv',
      sizeText: '0K',
      hidden: false,
    },
  ],
};

const summary = {
  urlTitle: T,
  title: 'Why do you have & such a fancy dog?',
  status: 'successful',
  statusLabel: 'Successful',
  authority: { name: 'Geraldine Quango', urlName: 'tgq' },
  requester: { name: 'Bob Smith', urlName: 'bob_smith' },
  lang: 'en',
};

describe('parseRequestPage', () => {
  it('reads a folded page: every event in order, chrome ignored, resent merged into its message', () => {
    const expected: RequestPage = {
      kind: 'request',
      request: summary,
      events: [
        outgoing1,
        {
          kind: 'incoming',
          id: 1,
          time: '2007-11-13T18:09:20+00:00',
          author: 'Geraldine Quango',
          hidden: false,
          folded: true,
          text: 'Dear Mr Smith,\n\nPlease find attached our response to your request.\nRegards,\nFOI Team',
          attachments: incoming1Attachments,
        },
        comment42,
        internalReview,
        hiddenIncoming,
        incoming3,
      ],
      warnings: [],
    };
    expect(parseRequestPage(page('request-folded.html'))).toEqual(expected);
  });

  it('reads the ?unfold=1 page with the quoted section as text and no link wording', () => {
    const parsed = parseRequestPage(page('request-unfolded.html'), { url: `${site}/request/${T}?unfold=1` });
    expect(parsed.request).toEqual(summary);
    expect(parsed.events[1]).toEqual({
      kind: 'incoming',
      id: 1,
      time: '2007-11-13T18:09:20+00:00',
      author: 'Geraldine Quango',
      hidden: false,
      text:
        'Dear Mr Smith,\n\nPlease find attached our response to your request.\nRegards,\nFOI Team\n\n' +
        '-----Original Message-----\nFrom: Bob Smith [email address]\nSent: 12 October 2007 01:56\nTo: FOI requests at TGQ\n\n' +
        'Why do you have such a fancy dog?',
      attachments: incoming1Attachments,
    });
    expect(parsed.events.map((event) => `${event.kind}-${event.id}`)).toEqual([
      'outgoing-1', 'incoming-1', 'comment-42', 'outgoing-2', 'incoming-2', 'incoming-3',
    ]);
    expect(parsed.warnings).toEqual([]);
  });

  it('takes the numeric id from a page fetched as /request/<id> and resolves links against that URL', () => {
    const parsed = parseRequestPage(page('request-folded.html'), { url: 'http://127.0.0.1:8080/request/101' });
    expect(parsed.request.id).toBe(101);
    expect(parsed.request.urlTitle).toBe(T);
    expect(parsed.events[1]?.attachments[0]?.url).toBe(
      `http://127.0.0.1:8080/request/${T}/response/1/attach/2/fs%2050379341.pdf?cookie_passthrough=1`,
    );
  });

  it('reads a Welsh page through structure, not wording', () => {
    const url = `${site}/cy/request/cyllideb_cwn_gwarchod_2023`;
    expect(parseRequestPage(page('request-welsh.html'), { url })).toEqual({
      kind: 'request',
      request: {
        urlTitle: 'cyllideb_cwn_gwarchod_2023',
        title: 'Cyllideb cŵn gwarchod 2023',
        status: 'waiting_response_overdue',
        statusLabel: 'Delayed',
        authority: { name: 'Llywodraeth Cymru', urlName: 'llywodraeth_cymru' },
        requester: { name: 'Elin Jones', urlName: 'elin_jones' },
        notices: ["Dim ond yr awdurdod all ymateb i'r cais hwn."],
        lang: 'cy',
      },
      events: [
        {
          kind: 'outgoing',
          id: 5001,
          time: '2024-01-03T09:15:00+00:00',
          author: 'Elin Jones',
          hidden: false,
          text: 'Annwyl Lywodraeth Cymru,\n\nFaint a wariwyd ar gŵn gwarchod yn 2023?\n\nYn gywir,\n\nElin Jones',
          attachments: [],
        },
        {
          kind: 'incoming',
          id: 7001,
          time: '2024-01-05T16:20:00+00:00',
          author: 'Swyddog Rhyddid Gwybodaeth, Llywodraeth Cymru',
          hidden: false,
          folded: true,
          text: 'Annwyl Elin Jones,\n\nDiolch am eich cais.',
          attachments: [
            {
              id: 9100,
              part: 2,
              filename: 'Llythyr cydnabod.pdf',
              url: `${site}/cy/request/cyllideb_cwn_gwarchod_2023/response/7001/attach/2/Llythyr%20cydnabod.pdf?cookie_passthrough=1`,
              contentType: 'application/pdf',
              sizeText: '88K',
              hidden: false,
            },
          ],
        },
      ],
      warnings: [],
    } satisfies RequestPage);
  });

  it('reads old markup inside theme wrappers with stray tags, and warns about what it skips', () => {
    const T2 = 'statistics_on_fancy_dog_allowanc';
    expect(parseRequestPage(page('request-old-theme.html'))).toEqual({
      kind: 'request',
      request: {
        urlTitle: T2,
        title: 'Statistics on fancy dog allowances',
        status: 'not_held',
        statusLabel: 'Information not held',
        authority: { name: 'Department for Work and Pensions', urlName: 'dwp' },
        requester: { name: 'Some Journalist' },
        lang: 'en-GB',
      },
      events: [
        {
          kind: 'outgoing',
          id: 300,
          time: '2012-03-04T10:11:12+00:00',
          author: 'Some Journalist',
          hidden: false,
          text:
            'Dear Department for Work and Pensions,\n\nPlease send me the number of fancy dog allowances paid in 2011.\n' +
            'Broken down by region, please.\n\nYours faithfully,\n\nSome Journalist',
          attachments: [],
        },
        {
          kind: 'incoming',
          id: 400,
          author: 'FOI Team',
          hidden: false,
          folded: true,
          text: 'Dear Journalist,\n\nWe do not hold this information.',
          attachments: [
            {
              id: 501,
              part: 2,
              filename: 'letter.pdf',
              url: `${site}/request/${T2}/response/400/attach/2/letter.pdf`,
              contentType: 'application/pdf',
              sizeText: '12K',
              hidden: false,
            },
          ],
        },
        { kind: 'outgoing', id: 301, hidden: true, attachments: [] },
        {
          kind: 'comment',
          id: 77,
          time: '2012-04-01T08:00:00+01:00',
          author: 'Carol W',
          hidden: false,
          text: 'DWP answered a similar question in Parliament.',
          attachments: [],
        },
      ],
      warnings: ['incoming-400: attachment without an id skipped'],
    } satisfies RequestPage);
  });

  it('keeps a resent block whose original is missing, and ignores duplicated blocks with a warning', () => {
    const html = `<html lang="en"><body>
      <div class="request-header"><h1>T</h1><p class="request-header__subtitle"><a href="/user/u">U</a> made this request to <a href="/body/b">B</a></p>
      <div id="request_status" class="request-status-message request-status-message--some_new_state"><p>It is <strong>new</strong>.</p></div></div>
      <div class="outgoing correspondence box" id="outgoing-9"><h2><time datetime="2020-01-02T03:04:05+00:00">2 January 2020</time></h2>
        <p class="event_plain">Sent request to <a href="/body/b">B</a> again.</p></div>
      <div class="comment_in_request box" id="comment-1"><h2><a href="/user/u">U</a> left an annotation</h2><div class="comment_in_request_text"><p>a</p></div></div>
      <div class="comment_in_request box" id="comment-1"><h2><a href="/user/u">U</a> left an annotation</h2><div class="comment_in_request_text"><p>b</p></div></div>
      <div class="incoming correspondence" id="incoming-x"></div>
    </body></html>`;
    const parsed = parseRequestPage(html, { url: 'https://example.org/request/t' });
    expect(parsed.request.status).toBe('some_new_state');
    expect(parsed.request.statusLabel).toBe('new');
    expect(parsed.events).toEqual([
      { kind: 'outgoing', id: 9, time: '2020-01-02T03:04:05+00:00', hidden: false, resent: true, attachments: [] },
      { kind: 'comment', id: 1, author: 'U', hidden: false, text: 'a', attachments: [] },
    ]);
    expect(parsed.warnings).toEqual([
      'unknown request status "some_new_state"',
      'duplicate correspondence block comment-1 ignored',
      'correspondence block with unreadable id "incoming-x"',
    ]);
  });

  it('reads a page whose authority and requester links do not percent-decode, warning about the authority', () => {
    const html = page('request-folded.html').replaceAll('href="/body/tgq"', 'href="/body/t%E0%A4%A"').replaceAll('href="/user/bob_smith"', 'href="/user/b%E0%A4%A"');
    const parsed = parseRequestPage(html, { url: `${site}/request/${T}` });
    expect(parsed.request.authority.urlName).toBe('');
    expect(parsed.request.requester?.urlName).toBeUndefined();
    expect(parsed.events).toEqual(parseRequestPage(page('request-folded.html'), { url: `${site}/request/${T}` }).events);
    expect(parsed.warnings).toContain('authority link not found');
  });

  it('keeps the first of two attachments under one part number of a message, warning about the other', () => {
    const html = page('request-folded.html').replace(
      '<li class="attachment" id="attachment-790">',
      `<li class="attachment" id="attachment-799"><a href="/request/${T}/response/1/attach/2/other.pdf">Download</a><p class="attachment__name">other.pdf</p></li>
          <li class="attachment" id="attachment-790">`,
    );
    const parsed = parseRequestPage(html, { url: `${site}/request/${T}` });
    expect(parsed.events).toEqual(parseRequestPage(page('request-folded.html'), { url: `${site}/request/${T}` }).events);
    expect(parsed.warnings).toContain('incoming-1: attachment-799 repeats part 2, skipped');
  });

  it('throws PageKindError for pages that are not request pages', () => {
    expect(() => parseRequestPage(page('list-page1.html'))).toThrow(PageKindError);
    expect(() => parseRequestPage(page('removed.html'))).toThrow(/not a request page/);
    expect(() => parseRequestPage('')).toThrow(PageKindError);
  });
});
