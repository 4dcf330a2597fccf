import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXEMPTIONS, exemptionCode, exemptionsCited, type Archive } from '../../storage/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, storeDoc, thread } from './fixtures.js';

let current: TestArchive;
let archive: Archive;
beforeAll(async () => {
  current = await openTestArchive();
  archive = current.archive;
});
afterAll(() => current.cleanup());

async function cited(text: string | null): Promise<string[]> {
  const [row] = await rowsOf<{ codes: string[] }>(archive.db, sql`select cited_exemptions(${text}) as codes`);
  return row!.codes;
}

/** How an authority would cite each code of EXEMPTIONS. */
function citationOf(code: string): string {
  const [law, number] = code.split(' ') as [string, string];
  switch (law) {
    case 'FOIA':
      return `This information is exempt under section ${number.slice(1)}(1) of the Freedom of Information Act 2000.`;
    case 'FOISA':
      return `We are applying the exemption at section ${number.slice(1)}(1) of the Freedom of Information (Scotland) Act 2002.`;
    case 'EIR':
      return `The exception at regulation ${number} of the Environmental Information Regulations 2004 applies.`;
    default:
      return `Regulation ${number} of the Environmental Information (Scotland) Regulations 2004 applies.`;
  }
}

describe('cited_exemptions', () => {
  test('reads each exemption and exception by the number its law gives it, and only those', async () => {
    for (const code of Object.keys(EXEMPTIONS)) expect([code, await cited(citationOf(code))]).toEqual([code, [code]]);
    // Every section of either Act and every regulation it can yield has a heading: none it reads goes unnamed.
    const everyNumber = Array.from({ length: 60 }, (_, i) => `section ${i + 1}(2), regulation ${i + 1}(4)(a), regulation ${i + 1}(5)(g)`).join('; ');
    const yielded = [...(await cited(everyNumber)), ...(await cited(`${everyNumber} of FOISA`))];
    expect(yielded.filter((code) => !(code in EXEMPTIONS))).toEqual([]);
    // FOIA's 25 sections (22A needs its letter), EIR's 12(4)(a), 12(5)(g) and 13, FOISA's 19, and the Scottish three
    expect(yielded).toHaveLength(25 + 3 + 19 + 3);
  });

  test.each([
    ['withheld under sections 40(2) and 43(2) of the Freedom of Information Act 2000', ['FOIA s40', 'FOIA s43']],
    ['exempt under s.43, s40(2) and s. 31(1)(a); section 1(1)(a) confirms we hold it', ['FOIA s31', 'FOIA s40', 'FOIA s43']],
    ['Sections 40, 41 & 42 apply. Section 22A applies to the research.', ['FOIA s22A', 'FOIA s40', 'FOIA s41', 'FOIA s42']],
    ['SECTION 40(2) OF THE ACT', ['FOIA s40']],
    ['withheld under section\n43 (2) of the Act', ['FOIA s43']],
    ['section 38(1)(b) of the Freedom of Information (Scotland) Act 2002 (FOISA)', ['FOISA s38']],
    ['the Freedom of Information (Scotland) Act 2002 (section 38(1)(b))', ['FOISA s38']],
    ['regulation 12(5)(e) and 12(4)(b) of the EIR, and regulation 13', ['EIR 12(4)(b)', 'EIR 12(5)(e)', 'EIR 13']],
    // another law's sections, and the Act's procedural ones
    ['section 40 of the Data Protection Act 2018, section 21 of the Housing Act 1988', []],
    ['under the Copyright, Designs and Patents Act 1998 (sections 29 and 30), but the Freedom of Information Act 2000 (section 40(2))', ['FOIA s40']],
    ['This is a refusal notice under section 17; you may complain under section 50.', []],
    ['in 2 sections. 40 people attended', []],
    ['', []],
  ])('%j cites %j', async (text, codes) => {
    expect(await cited(text)).toEqual(codes);
  });

  test('is empty for no text', async () => {
    expect(await cited(null)).toEqual([]);
  });
});

test('codes are taken in any case and spacing, and nothing else', () => {
  expect(exemptionCode('foia s40')).toBe('FOIA s40');
  expect(exemptionCode(' EIR 12 (5)(e) ')).toBe('EIR 12(5)(e)');
  expect(exemptionCode('FOIA s22a')).toBe('FOIA s22A');
  expect(exemptionCode('FOIA s17')).toBeNull();
  expect(exemptionCode('s40')).toBeNull();
});

describe('a thread and its documents', () => {
  test('cite what their shown messages and documents cite: by request, by search filter and facet, and by tally', async () => {
    const siteId = await archive.ensureSite(SITE);
    const letter = await storeDoc(archive, 'refusal letter');
    const withdrawn = await storeDoc(archive, 'withdrawn letter');
    const input = thread({ remoteId: 301, urlTitle: 'contract_prices' });
    input.events[0]!.text = 'I expect you will cite section 42 of the Act, but please send the contracts.';
    input.events[1]!.text = 'Prices are withheld under section 43(2) of the Freedom of Information Act 2000.';
    input.events[1]!.attachments.push(
      { remoteId: 10, part: 2, filename: 'response.pdf', hidden: false, content: { sha256: letter.sha256, size: letter.size, fetchedAt: new Date() } },
      { remoteId: 11, part: 3, filename: 'withdrawn.pdf', hidden: true, content: { sha256: withdrawn.sha256, size: withdrawn.size, fetchedAt: new Date() } },
    );
    input.events.push({ kind: 'incoming', messageId: 22, eventId: 3, time: new Date('2023-04-01T10:00:00Z'), author: 'Leeds City Council',
      hidden: true, text: 'We also rely on section 31 of the Act.', attachments: [] });
    await archive.reconcileRequest(siteId, input, {});
    await archive.reconcileRequest(siteId, thread({ remoteId: 302, urlTitle: 'bin_rounds', title: 'Bin rounds' }), {});
    const texts = new Map([
      [letter.sha256, ['Dear Ms Smith, thank you for your request.', 'Names of junior staff are withheld under section 40(2) and section 43(2).']],
      [withdrawn.sha256, ['Legal advice is withheld under section 42 of the Act.']],
    ]);
    for (const job of await archive.jobs.claim('test', 2)) {
      const pages = texts.get(job.sha256)!;
      await archive.jobs.complete(job.id, { type: 'pdf', pageCount: pages.length, needsOcr: false, warnings: [], metadata: {},
        pages: pages.map((text, i) => ({ number: i + 1, text })) });
    }

    const request = (await archive.getRequest('contract_prices'))!;
    const response = request.events[1]!;
    expect(request.events[0]!.exemptions).toBeNull();
    expect(response.exemptions).toEqual(['FOIA s43']);
    expect(request.events[2]!.exemptions).toEqual(['FOIA s31']);
    expect(response.attachments.map((a) => a.exemptions)).toEqual([
      [{ code: 'FOIA s40', pages: [2] }, { code: 'FOIA s43', pages: [2] }],
      [{ code: 'FOIA s42', pages: [1] }],
    ]);
    // The hidden message's s.31, the hidden document's s.42 and the requester's own mention of s.42 are not the thread's.
    expect(exemptionsCited(request)).toEqual([
      { code: 'FOIA s40', label: 'Personal information', sources: [{ kind: 'document', attachmentId: response.attachments[0]!.id, filename: 'response.pdf', pages: [2] }] },
      { code: 'FOIA s43', label: 'Commercial interests', sources: [
        { kind: 'message', eventId: response.id, messageId: 21, time: response.time },
        { kind: 'document', attachmentId: response.attachments[0]!.id, filename: 'response.pdf', pages: [2] },
      ] },
    ]);

    const slugs = async (exemption: string, text?: string) =>
      (await archive.search({ exemption, ...(text ? { text } : {}) })).hits.map((hit) => `${hit.urlTitle} ${hit.kind}`);
    expect(await slugs('FOIA s40')).toEqual(['contract_prices request']);
    expect(await slugs('FOIA s40', 'junior staff')).toEqual(['contract_prices document']);
    expect(await slugs('FOIA s31')).toEqual([]);
    expect(await slugs('FOIA s42')).toEqual([]);
    expect((await archive.search({})).facets.exemption).toEqual([
      { key: 'FOIA s40', label: 'FOIA s40: Personal information', count: 1 },
      { key: 'FOIA s43', label: 'FOIA s43: Commercial interests', count: 1 },
    ]);
    expect(await archive.exemptionTally({ authority: 'leeds_city_council' })).toEqual({
      requests: 2,
      citing: 1,
      exemptions: [
        { code: 'FOIA s40', label: 'Personal information', requests: 1 },
        { code: 'FOIA s43', label: 'Commercial interests', requests: 1 },
      ],
    });
    expect((await archive.exemptionTally({ authority: 'nobody' })).requests).toBe(0);
    const exported: string[] = [];
    for await (const row of archive.exportRows({ text: 'contracts OR junior' })) exported.push(`${row.urlTitle} ${row.kind} ${row.exemptions.join(', ')}`);
    expect(exported.sort()).toEqual(['bin_rounds request ', 'contract_prices document FOIA s40, FOIA s43', 'contract_prices request FOIA s40, FOIA s43']);

    // The site hides the letter, then the message: what they cite goes with them, and comes back with them.
    const cites = async () => (await archive.search({})).facets.exemption.map((f) => f.key);
    const letterHidden = structuredClone(input);
    letterHidden.events[1]!.attachments[0]!.hidden = true;
    await archive.reconcileRequest(siteId, letterHidden, {});
    expect(await cites()).toEqual(['FOIA s43']);
    const messageHidden = structuredClone(letterHidden);
    messageHidden.events[1]!.hidden = true;
    await archive.reconcileRequest(siteId, messageHidden, {});
    expect(await cites()).toEqual([]);
    expect(await slugs('FOIA s43')).toEqual([]);
    expect((await archive.exemptionTally()).citing).toBe(0);
    await archive.reconcileRequest(siteId, input, {});
    expect(await cites()).toEqual(['FOIA s40', 'FOIA s43']);
    await archive.purge('contract_prices');
    expect(await archive.exemptionTally()).toEqual({ requests: 1, citing: 0, exemptions: [] });
  });
});
