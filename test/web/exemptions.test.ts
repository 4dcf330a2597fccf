import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive, AttachmentInput, ReconcileInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';

const AUTHORITY = { urlName: 'hackney_council', name: 'Hackney Council' };
const OTHER = { urlName: 'camden_council', name: 'Camden Council' };

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;
const attachmentIds: Record<string, number> = {};
/** Each stored document's pages, for the extraction job to complete with. */
const pageTexts = new Map<string, string[]>();

/** A document stored and extracted with these pages, as an attachment of `part`. */
async function documentPart(part: number, filename: string, pages: string[], opts: { hidden?: boolean } = {}): Promise<AttachmentInput> {
  const blob = await archive.putBlob(Buffer.from(`%PDF-1.4 ${filename}`), { contentType: 'application/pdf' });
  pageTexts.set(blob.sha256, pages);
  return { remoteId: part, part, filename, contentType: 'application/pdf', hidden: opts.hidden ?? false,
    content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-03-05T10:00:00Z') } };
}

function thread(remoteId: number, urlTitle: string, authority: typeof AUTHORITY, messages: { text: string; hidden?: boolean; attachments?: AttachmentInput[] }[]): ReconcileInput {
  return {
    remoteId,
    urlTitle,
    title: `Contracts: ${urlTitle}`,
    authority,
    requester: { urlName: 'sam_roe', name: 'Sam Roe' },
    status: 'partially_successful',
    prominence: 'normal',
    remoteCreatedAt: new Date('2024-03-01T08:00:00Z'),
    events: [
      { kind: 'outgoing', messageId: remoteId * 10, time: new Date('2024-03-01T08:00:00Z'), author: 'Sam Roe', hidden: false,
        text: 'Please do not hide behind section 43 of the Act.', attachments: [] },
      ...messages.map((m, i) => ({ kind: 'incoming' as const, messageId: remoteId * 10 + i + 1, time: new Date(`2024-03-0${i + 2}T09:00:00Z`),
        author: authority.name, hidden: m.hidden ?? false, text: m.text, attachments: m.attachments ?? [] })),
    ],
  };
}

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  await archive.reconcileRequest(siteId, thread(8101, 'cleaning_contracts', AUTHORITY, [
    { text: 'Prices are withheld under section 43(2) of the Freedom of Information Act 2000.', attachments: [
      await documentPart(2, 'response.pdf', ['Dear Mr Roe,', 'Staff names are withheld under section 40(2) of the Act.']),
      await documentPart(3, 'legal advice.pdf', ['Withheld under section 42 of the Act.'], { hidden: true }),
    ] },
    { text: 'We now also rely on section 31(1)(a) of the Act.', hidden: true },
  ]), {});
  await archive.reconcileRequest(siteId, thread(8102, 'parking_contracts', AUTHORITY, [{ text: 'Please find the contracts attached; nothing is withheld.' }]), {});
  await archive.reconcileRequest(siteId, thread(8103, 'camden_parking', OTHER, [{ text: 'Refused under section 12 of the Act: the cost limit.' }]), {});
  for (const job of await archive.jobs.claim('test', 10)) {
    const pages = pageTexts.get(job.sha256)!;
    await archive.jobs.complete(job.id, { type: 'pdf', pageCount: pages.length, needsOcr: false, warnings: [], metadata: {},
      pages: pages.map((text, i) => ({ number: i + 1, text })) });
  }
  for (const a of (await archive.getRequest('cleaning_contracts'))!.attachments) attachmentIds[a.filename!] = a.id;
  app = createApp(archive);
});
afterAll(async () => cleanup());

const get = (url: string) => app.request(url);

describe("a request's page and JSON", () => {
  it('list the exemptions its shown messages and documents cite, where, and link to the other requests citing each', async () => {
    const body = await (await get('/request/cleaning_contracts')).text();
    const section = /<h2 id="exemptions">Exemptions cited<\/h2>[\s\S]*?<\/ul>/.exec(body)?.[0] ?? '';
    expect(section).toContain('<a href="/search?exemption=FOIA+s40" title="Other requests citing it">FOIA s40</a> Personal information: '
      + `<a href="/attachment/${attachmentIds['response.pdf']}#page-2">response.pdf</a>, page 2`);
    expect(section).toContain('<a href="/search?exemption=FOIA+s43" title="Other requests citing it">FOIA s43</a> Commercial interests: '
      + 'the <a href="#message-incoming-81011">response of 2024-03-02</a>');
    // The hidden message's s.31, the hidden document's s.42, and the requester's own mention of s.43 in a message are not cited.
    expect(section).not.toMatch(/FOIA s31|FOIA s42/);
    expect((await (await get('/request/parking_contracts')).text())).not.toContain('Exemptions cited');
  });

  it('the JSON says the same, and gives nothing read from what the site hides', async () => {
    const json = (await (await get('/api/request/cleaning_contracts')).json()) as {
      exemptionsCited: { code: string; sources: { kind: string }[] }[];
      events: { hidden: boolean; exemptions: string[] | null }[];
      attachments: { filename: string; exemptions: { code: string; pages: number[] }[] | null }[];
    };
    expect(json.exemptionsCited.map((c) => `${c.code} ${c.sources.map((s) => s.kind).join('+')}`)).toEqual(['FOIA s40 document', 'FOIA s43 message']);
    expect(json.events.map((e) => e.exemptions)).toEqual([null, ['FOIA s43'], null]);
    expect(json.attachments.map((a) => [a.filename, a.exemptions])).toEqual([
      ['response.pdf', [{ code: 'FOIA s40', pages: [2] }]],
      ['legal advice.pdf', null],
    ]);
  });
});

describe('search by exemption', () => {
  it('filters to the requests citing it, counts each in a facet, and keeps the filter in the form', async () => {
    const json = (await (await get('/api/search?exemption=foia+s43')).json()) as { hits: { urlTitle: string }[]; facets: { exemption: { key: string; count: number }[] } };
    expect(json.hits.map((h) => h.urlTitle)).toEqual(['cleaning_contracts']);
    const all = (await (await get('/api/search')).json()) as typeof json;
    expect(all.facets.exemption.map((f) => `${f.key} ${f.count}`)).toEqual(['FOIA s12 1', 'FOIA s40 1', 'FOIA s43 1']);
    const typed = await (await get('/search?exemption=foia+s43')).text();
    expect(typed).toContain('<strong>FOIA s43: Commercial interests</strong> ✕');
    expect(typed).toContain('<option value="FOIA s43" selected>');
    const body = await (await get('/search?exemption=FOIA+s31')).text();
    expect(body).toContain('<option value="FOIA s31" selected>FOIA s31: Law enforcement (0)</option>');
    expect(body).toContain('0 results.');
  });

  it('refuses a code it does not know, saying what it takes', async () => {
    const res = await get('/api/search?exemption=section+40');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      'exemption takes a code such as "FOIA s40", "FOISA s38" or "EIR 12(5)(e)" (the list is at /exemptions), not "section 40"');
  });

  it('exports carry each request its exemptions', async () => {
    const csv = await (await get('/export.csv?authority=hackney_council')).text();
    const [header, ...rows] = csv.trim().split('\n');
    const column = header!.split(',').indexOf('exemptions');
    expect(column).toBeGreaterThan(0);
    expect(rows.map((row) => row.split(',')[column]).sort()).toEqual(['', 'FOIA s40; FOIA s43']);
  });
});

describe('tallies', () => {
  it('across the archive, on /exemptions and its JSON', async () => {
    expect(await (await get('/api/exemptions')).json()).toEqual({
      requests: 3,
      citing: 2,
      exemptions: [
        { code: 'FOIA s12', label: 'Cost of compliance exceeds the appropriate limit', requests: 1 },
        { code: 'FOIA s40', label: 'Personal information', requests: 1 },
        { code: 'FOIA s43', label: 'Commercial interests', requests: 1 },
      ],
    });
    const body = await (await get('/exemptions')).text();
    expect(body).toContain('<p>2 of 3 requests cite at least one.</p>');
    expect(body).toContain('<tr><td>FOIA s40</td><td>Personal information</td><td><a href="/search?exemption=FOIA+s40">1</a></td></tr>');
    expect(body).toContain('<tr><td>EIRS 11</td><td>Personal data</td></tr>');
  });

  it("for an authority, on its page and in its JSON, linking to the search within it", async () => {
    const body = await (await get('/authority/hackney_council')).text();
    expect(body).toContain('<p>1 of 2 requests cite at least one.</p>');
    expect(body).toContain('<a href="/search?authority=hackney_council&amp;exemption=FOIA+s43">1</a>');
    expect(body).not.toContain('FOIA s12');
    const json = (await (await get('/api/authority/camden_council')).json()) as { exemptions: unknown };
    expect(json.exemptions).toEqual({ requests: 1, citing: 1, exemptions: [{ code: 'FOIA s12', label: 'Cost of compliance exceeds the appropriate limit', requests: 1 }] });
  });
});
