import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type Archive, type AttachmentInput, type EventInput, type ReconcileInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';

const ORIGIN = 'http://archive.example:8080';
const ATOM = 'http://www.w3.org/2005/Atom';
const YORK = { urlName: 'york_council', name: 'York Council' };
const LEEDS = { urlName: 'leeds_city_council', name: 'Leeds City Council' };

// Entries in the order they entered the archive, which is neither the order of the requests' dates nor of rank:
// PUPIL_TITLE, with the words in its title, ranks first and was made first; CENSUS was made last.
const EXCLUSIONS = { remoteId: 501, urlTitle: 'exclusions_policy', title: 'Exclusions policy', created: '2022-03-01', archived: '2024-05-01' };
const PUPIL_TITLE = { remoteId: 502, urlTitle: 'pupil_data_sharing', title: 'Pupil data sharing agreements', created: '2020-01-10', archived: '2024-06-03' };
const CENSUS = { remoteId: 503, urlTitle: 'school_census_returns', title: 'School census returns', created: '2024-05-01', archived: '2024-06-01' };
const CENSUS_PDF_FETCHED = '2024-06-02T08:00:00.000Z';
const EXCLUSIONS_TXT_FETCHED = '2024-06-04T08:00:00.000Z';
// Each of these matches and entered the archive after all of the above; none is public in a listing.
const REMOVED = { remoteId: 504, urlTitle: 'pupil_premium_spending', title: 'Pupil premium spending (removed)' };
const BACKPAGE = { remoteId: 505, urlTitle: 'pupil_referral_unit', title: 'Pupil referral unit places (backpage)' };
const WITHHELD = { remoteId: 506, urlTitle: 'admissions_appeals', title: 'Admissions appeals' };
const WITHHELD_NAMES = ['hidden pupil list.txt', 'letter of hidden message.txt'];
const LATE = '2024-07-01T08:00:00.000Z';
// Hostile text: markup, an ampersand and a BEL (U+0007), which XML 1.0 does not allow even escaped.
const HOSTILE = { remoteId: 507, urlTitle: 'truancy_fines', title: 'Truancy <script>alert("t")</script> & fines\u0007' };
// ts_headline drops what looks like a tag from a snippet, but keeps a lone < or > and control characters.
const HOSTILE_PAGE = 'Truancy fines of < £5 & > £2 were paid\u0007 by 40 families';

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;
let siteId: number;
const attachmentIds = { censusPdf: 0, exclusionsTxt: 0 };

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Parses with saxes, a conforming XML 1.0 parser: any error (a bad character, an unescaped `<` or `&`) throws. */
function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('opentag', (tag) => {
    if (stack.length === 0) expect(tag.uri).toBe(ATOM);
    const attributes = Object.fromEntries(Object.values(tag.attributes).map((a) => [a.local, a.value]));
    const element: XmlElement = { name: tag.local, attributes, children: [], text: '' };
    stack.at(-1)?.children.push(element);
    root ??= element;
    stack.push(element);
  });
  parser.on('text', (value) => {
    const current = stack.at(-1);
    if (current) current.text += value;
  });
  parser.on('closetag', () => void stack.pop());
  parser.write(text).close();
  if (!root) throw new Error('no root element');
  return root;
}

const child = (element: XmlElement, name: string) => element.children.find((c) => c.name === name);
const childrenNamed = (element: XmlElement, name: string) => element.children.filter((c) => c.name === name);
const textOf = (element: XmlElement, name: string) => child(element, name)?.text;
const linkOf = (element: XmlElement, rel: string) => element.children.find((c) => c.name === 'link' && (c.attributes.rel ?? 'alternate') === rel)?.attributes.href;

async function getFeed(path: string, init?: RequestInit): Promise<{ xml: string; feed: XmlElement; entries: XmlElement[] }> {
  const res = await app.request(`${ORIGIN}${path}`, init);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
  const xml = await res.text();
  const feed = parseXml(xml);
  expect(feed.name).toBe('feed');
  return { xml, feed, entries: childrenNamed(feed, 'entry') };
}

async function text(content: string): Promise<{ sha256: string; size: number }> {
  return archive.putBlob(Buffer.from(content), { contentType: 'text/plain' });
}

function doc(part: number, filename: string, blob: { sha256: string; size: number }, fetchedAt: string, hidden = false): AttachmentInput {
  return { remoteId: part, part, filename, contentType: 'text/plain', hidden, content: { ...blob, fetchedAt: new Date(fetchedAt) } };
}

function request(
  r: { remoteId: number; urlTitle: string; title: string; created?: string },
  opts: { authority?: { urlName: string; name: string }; status?: string; prominence?: string; asking: string; reply?: EventInput },
): ReconcileInput {
  const created = new Date(`${r.created ?? '2024-01-01'}T09:00:00Z`);
  const events: EventInput[] = [{ kind: 'outgoing', messageId: r.remoteId * 10, time: created, author: 'Sam Roe', hidden: false, text: opts.asking, attachments: [] }];
  if (opts.reply) events.push(opts.reply);
  return {
    remoteId: r.remoteId,
    urlTitle: r.urlTitle,
    title: r.title,
    authority: opts.authority ?? YORK,
    requester: { urlName: 'sam_roe', name: 'Sam Roe' },
    status: opts.status ?? 'successful',
    prominence: opts.prominence ?? 'normal',
    remoteCreatedAt: created,
    events,
  };
}

const reply = (messageId: number, attachments: AttachmentInput[], hidden = false): EventInput => ({
  kind: 'incoming',
  messageId,
  time: new Date('2024-05-20T09:00:00Z'),
  author: 'York Council',
  hidden,
  ...(hidden ? {} : { text: 'Please find the information attached.' }),
  attachments,
});

async function archivedAt(remoteId: number, when: string): Promise<void> {
  await archive.db.update(schema.requests).set({ firstArchivedAt: new Date(when) }).where(eq(schema.requests.remoteId, remoteId));
}

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const pages = new Map<string, string[]>();
  const stored = async (texts: string[]) => {
    const blob = await text(texts.join('\f'));
    pages.set(blob.sha256, texts);
    return blob;
  };

  // Five pages; the words are on pages 2 to 5.
  const censusPdf = await stored([
    'Census return: contents and method.',
    'Pupil data is collected each term.',
    'The pupil data held covers attendance.',
    'Pupil data retention periods.',
    'Annex: pupil data fields.',
  ]);
  const exclusionsTxt = await stored(['Exclusions by year; the pupil data behind them is held by the school.']);
  await archive.reconcileRequest(siteId, request(EXCLUSIONS, { asking: 'Please send your exclusions policy.', reply: reply(5011, [doc(2, 'exclusions.txt', exclusionsTxt, EXCLUSIONS_TXT_FETCHED)]) }), {});
  await archive.reconcileRequest(siteId, request(PUPIL_TITLE, { authority: LEEDS, asking: 'Please send every pupil data sharing agreement.' }), {});
  const census = request(CENSUS, { status: 'partially_successful', asking: 'Please send the census returns, including what pupil data they hold.' });
  census.events.push({ ...reply(5031, [{ ...doc(2, 'census.pdf', censusPdf, CENSUS_PDF_FETCHED) }]) });
  await archive.reconcileRequest(siteId, census, {});

  await archive.reconcileRequest(siteId, request(REMOVED, { asking: 'Please send the pupil premium spending, with the pupil data.' }), {});
  await archive.markRemoved(siteId, REMOVED.remoteId, 'removed by the site', { status: 410 });
  const backpageDoc = await stored(['Pupil data of the referral unit (backpage).']);
  await archive.reconcileRequest(
    siteId,
    request(BACKPAGE, { prominence: 'backpage', asking: 'Please send the pupil data of the unit.', reply: reply(5051, [doc(2, 'referral unit.txt', backpageDoc, LATE)]) }),
    {},
  );
  // One attachment the site hides, and a message it later hid, whose attachment it then no longer lists.
  const hiddenList = await stored(['Pupil data: names and addresses (hidden).']);
  const letter = await stored(['Pupil data in a letter of a message the site hid.']);
  const withheld = request(WITHHELD, { asking: 'Please send the admissions appeals figures.' });
  const hiddenMessage = (hidden: boolean) => reply(5062, hidden ? [] : [doc(3, WITHHELD_NAMES[1]!, letter, LATE)], hidden);
  await archive.reconcileRequest(siteId, { ...withheld, events: [...withheld.events, reply(5061, [doc(2, WITHHELD_NAMES[0]!, hiddenList, LATE, true)]), hiddenMessage(false)] }, {});
  await archive.reconcileRequest(siteId, { ...withheld, events: [...withheld.events, reply(5061, [doc(2, WITHHELD_NAMES[0]!, hiddenList, LATE, true)]), hiddenMessage(true)] }, {});

  const hostilePage = await stored([HOSTILE_PAGE]);
  await archive.reconcileRequest(siteId, request(HOSTILE, { authority: LEEDS, asking: 'Truancy fines, please.', reply: reply(5071, [doc(2, '<b>fines</b> & "more".txt', hostilePage, LATE)]) }), {});

  for (const job of await archive.jobs.claim('test-worker', 50)) {
    const texts = pages.get(job.sha256) ?? [];
    await archive.jobs.complete(job.id, {
      type: job.sha256 === censusPdf.sha256 ? 'pdf' : 'text',
      pageCount: texts.length,
      needsOcr: false,
      warnings: [],
      metadata: {},
      pages: texts.map((t, i) => ({ number: i + 1, text: t })),
    });
  }
  for (const r of [EXCLUSIONS, PUPIL_TITLE, CENSUS]) await archivedAt(r.remoteId, `${r.archived}T08:00:00Z`);
  for (const r of [REMOVED, BACKPAGE, WITHHELD, HOSTILE]) await archivedAt(r.remoteId, LATE);
  const attachmentOf = async (urlTitle: string) => (await archive.getRequest(urlTitle))!.attachments[0]!.id;
  attachmentIds.censusPdf = await attachmentOf(CENSUS.urlTitle);
  attachmentIds.exclusionsTxt = await attachmentOf(EXCLUSIONS.urlTitle);
  app = createApp(archive);
});

afterAll(async () => {
  await cleanup?.();
});

describe('the Atom feed of a search', () => {
  it('lists requests and documents newest in the archive first, not by request date or rank', async () => {
    const search = (await (await app.request('/api/search?q=pupil+data')).json()) as { hits: { title: string }[] };
    expect(search.hits[0]?.title).toBe(PUPIL_TITLE.title);
    const { entries } = await getFeed('/search.atom?q=pupil+data');
    expect(entries.map((e) => textOf(e, 'title'))).toEqual([
      `exclusions.txt — ${EXCLUSIONS.title}`,
      PUPIL_TITLE.title,
      `census.pdf — ${CENSUS.title}`,
      CENSUS.title,
    ]);
    expect(entries.map((e) => textOf(e, 'updated'))).toEqual([
      EXCLUSIONS_TXT_FETCHED,
      `${PUPIL_TITLE.archived}T08:00:00.000Z`,
      CENSUS_PDF_FETCHED,
      `${CENSUS.archived}T08:00:00.000Z`,
    ]);
  });

  it('gives a document one entry however many of its pages match, linked to its first matching page', async () => {
    const { entries } = await getFeed('/search.atom?q=pupil+data');
    const census = entries.filter((e) => textOf(e, 'title')?.startsWith('census.pdf'));
    expect(census).toHaveLength(1);
    expect(linkOf(census[0]!, 'alternate')).toBe(`${ORIGIN}/attachment/${attachmentIds.censusPdf}?q=pupil+data#page-2`);
    expect(textOf(census[0]!, 'summary')).toContain('Pupil data is collected each term');
  });

  it('links every entry absolutely to its page in the archive, with an id that stays', async () => {
    const { feed, entries } = await getFeed('/search.atom?q=pupil+data');
    const byTitle = (title: string) => entries.find((e) => textOf(e, 'title') === title)!;
    expect(linkOf(byTitle(PUPIL_TITLE.title), 'alternate')).toBe(`${ORIGIN}/request/${PUPIL_TITLE.urlTitle}`);
    expect(textOf(byTitle(PUPIL_TITLE.title), 'id')).toBe(`${ORIGIN}/request/${PUPIL_TITLE.remoteId}`);
    expect(textOf(byTitle(`exclusions.txt — ${EXCLUSIONS.title}`), 'id')).toBe(`${ORIGIN}/attachment/${attachmentIds.exclusionsTxt}`);
    for (const entry of entries) {
      expect(linkOf(entry, 'alternate')).toMatch(new RegExp(`^${ORIGIN}/(request|attachment)/`));
      const path = linkOf(entry, 'alternate')!.slice(ORIGIN.length);
      expect((await app.request(path)).status, path).toBe(200);
    }
    expect(textOf(feed, 'id')).toBe(`${ORIGIN}/search.atom?q=pupil+data`);
    expect(linkOf(feed, 'self')).toBe(`${ORIGIN}/search.atom?q=pupil+data`);
    expect(linkOf(feed, 'alternate')).toBe(`${ORIGIN}/search?q=pupil+data`);
    expect(textOf(feed, 'title')).toBe('wdtk-archive: “pupil data”');
    expect(textOf(feed, 'updated')).toBe(EXCLUSIONS_TXT_FETCHED);
  });

  it('links from the public address it is given, behind a proxy that ends TLS, not the one requests arrive at', async () => {
    const proxied = createApp(archive, { publicUrl: 'https://archive.example.org' });
    const res = await proxied.request(`${ORIGIN}/search.atom?q=pupil+data`);
    const feed = parseXml(await res.text());
    const links = [linkOf(feed, 'self'), linkOf(feed, 'alternate'), textOf(feed, 'id'), ...feed.children.filter((c) => c.name === 'entry').map((e) => linkOf(e, 'alternate'))];
    expect(links.length).toBeGreaterThan(3);
    for (const href of links) expect(href).toMatch(/^https:\/\/archive\.example\.org\/(search|request|attachment)/);
  });

  it('applies the filters, and names them in its title and links', async () => {
    const titles = async (query: string) => (await getFeed(`/search.atom?${query}`)).entries.map((e) => textOf(e, 'title'));
    expect(await titles('q=pupil+data&authority=leeds_city_council')).toEqual([PUPIL_TITLE.title]);
    expect(await titles('q=pupil+data&status=partially_successful')).toEqual([`census.pdf — ${CENSUS.title}`, CENSUS.title]);
    expect(await titles('q=pupil+data&type=pdf')).toEqual([`census.pdf — ${CENSUS.title}`]);
    expect(await titles('q=pupil+data&from=2022-01-01&to=2022-12-31')).toEqual([`exclusions.txt — ${EXCLUSIONS.title}`]);
    expect(await titles('q=pupil+data&requester=nobody')).toEqual([]);
    const { feed } = await getFeed('/search.atom?q=pupil+data&status=partially_successful&sort=date&page=3');
    expect(textOf(feed, 'title')).toBe('wdtk-archive: “pupil data” (status partially_successful)');
    expect(linkOf(feed, 'self')).toBe(`${ORIGIN}/search.atom?q=pupil+data&status=partially_successful`);
  });

  it('without words lists the newest requests and documents that pass the filters', async () => {
    const { feed, entries } = await getFeed('/search.atom?authority=york_council');
    expect(entries.map((e) => textOf(e, 'title'))).toEqual([
      WITHHELD.title,
      `exclusions.txt — ${EXCLUSIONS.title}`,
      `census.pdf — ${CENSUS.title}`,
      CENSUS.title,
      EXCLUSIONS.title,
    ]);
    expect(linkOf(entries[2]!, 'alternate')).toBe(`${ORIGIN}/attachment/${attachmentIds.censusPdf}#page-1`);
    expect(textOf(feed, 'title')).toBe('wdtk-archive: new in the archive (authority york_council)');
  });

  it('never carries a removed or backpage request, a hidden attachment or one of a hidden message', async () => {
    for (const path of ['/search.atom?q=pupil+data', '/search.atom', '/search.atom?q=pupil', '/search.atom?type=text']) {
      const { xml, entries } = await getFeed(path);
      for (const secret of [REMOVED.title, BACKPAGE.title, 'referral unit', 'names and addresses', ...WITHHELD_NAMES, 'letter of a message']) {
        expect(xml, `${path}: ${secret}`).not.toContain(secret);
      }
      expect(entries.length, path).toBeGreaterThan(0);
    }
  });

  it('stays well-formed XML with markup, ampersands and control characters in titles, names and text', async () => {
    const { xml, entries } = await getFeed('/search.atom?q=truancy');
    expect(xml).not.toContain('\u0007');
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('<b>');
    // Both entered the archive at the same time: the request comes before its document.
    const titles = entries.map((e) => textOf(e, 'title'));
    expect(titles).toEqual(['Truancy <script>alert("t")</script> & fines\uFFFD', `<b>fines</b> & "more".txt — Truancy <script>alert("t")</script> & fines\uFFFD`]);
    expect(child(entries[1]!, 'title')?.attributes.type).toBe('text');
    const summary = textOf(entries[1]!, 'summary') ?? '';
    expect(summary).toBe('Truancy fines of < £5 & > £2 were paid\uFFFD by 40 families');
  });

  it('has a feed-level updated time when nothing matches', async () => {
    const before = Date.now();
    const { feed, entries } = await getFeed('/search.atom?q=zeppelin');
    expect(entries).toEqual([]);
    expect(Date.parse(textOf(feed, 'updated') ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it('is described in the OpenAPI document, with the filters of the search', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, { get: { parameters: { name: string }[] } }> };
    expect(doc.paths['/search.atom']?.get.parameters.map((p) => p.name)).toEqual(['q', 'authority', 'status', 'requester', 'from', 'to', 'type', 'exemption', 'timeliness']);
  });

  it('refuses a malformed parameter with a 400, as the search does', async () => {
    for (const query of ['from=2024-02-30', 'to=yesterday', 'sort=best', 'q=%00']) {
      const res = await app.request(`/search.atom?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});

describe('the search page', () => {
  it('links to the feed of its search, with its filters, and names it in its head', async () => {
    const res = await app.request('/search?q=pupil+data&authority=york_council&sort=date&page=1');
    const html = await res.text();
    const href = '/search.atom?q=pupil+data&amp;authority=york_council';
    expect(html).toContain(`<a href="${href}" type="application/atom+xml">Follow these results (Atom feed)</a>`);
    expect(html).toMatch(new RegExp(`<link rel="alternate" type="application/atom\\+xml" title="[^"]*pupil data[^"]*" href="${href.replace(/[?+]/g, '\\$&')}">`));
    const followed = await getFeed(href.replace('&amp;', '&'));
    expect(followed.entries.map((e) => textOf(e, 'title'))).toEqual([`exclusions.txt — ${EXCLUSIONS.title}`, `census.pdf — ${CENSUS.title}`, CENSUS.title]);
  });
});

describe('with a read token', () => {
  const token = 'feed-token';

  it('is refused without it, and served with ?token=, its links carrying none', async () => {
    app = createApp(archive, { token });
    try {
      const refused = await app.request(`${ORIGIN}/search.atom?q=pupil+data`);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain(PUPIL_TITLE.title);
      const res = await app.request(`${ORIGIN}/search.atom?q=pupil+data&token=${token}`);
      expect(res.status).toBe(200);
      const xml = await res.text();
      expect(xml).not.toContain(token);
      const entries = childrenNamed(parseXml(xml), 'entry');
      expect(entries).toHaveLength(4);
      // A person following a link from the feed in a browser that once opened the archive with the token has its cookie.
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      for (const entry of entries) {
        const path = linkOf(entry, 'alternate')!.slice(ORIGIN.length);
        expect((await app.request(path)).status, path).toBe(401);
        expect((await app.request(path, { headers: { Cookie: cookie } })).status, path).toBe(200);
      }
    } finally {
      app = createApp(archive);
    }
  });
});
