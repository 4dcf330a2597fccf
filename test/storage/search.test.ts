import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Archive, ExportRow } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, storeDoc, thread } from './fixtures.js';

let handle: TestArchive;
let archive: Archive;
let reportSha: string;

// Four threads, one with a three-page PDF whose phrase is on page 2 and one with a DOCX.
beforeAll(async () => {
  handle = await openTestArchive();
  archive = handle.archive;
  const siteId = await archive.ensureSite(SITE);
  const report = await storeDoc(archive, 'road safety audit');
  const memo = await archive.putBlob(Buffer.from('PK memo bytes'), { sniffedType: 'docx' });
  reportSha = report.sha256;

  const roads = thread({
    remoteId: 1, urlTitle: 'road_safety', title: 'Road safety audit for Elm Street',
    authority: { urlName: 'leeds_city_council', name: 'Leeds City Council' }, status: 'successful',
    remoteCreatedAt: new Date('2022-05-01T00:00:00Z'),
  });
  roads.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'audit.pdf', hidden: false,
    content: { sha256: report.sha256, size: report.size, fetchedAt: new Date() } });
  await archive.reconcileRequest(siteId, roads, {});

  const memoThread = thread({
    remoteId: 2, urlTitle: 'school_meals', title: 'School meals budget',
    authority: { urlName: 'york_council', name: 'York Council' }, status: 'waiting_response',
    requester: { urlName: 'bob', name: 'Bob' }, remoteCreatedAt: new Date('2023-02-01T00:00:00Z'),
  });
  memoThread.events[0]!.text = 'Please send the school meals budget and any pothole repair figures.';
  memoThread.events[1]!.attachments.push({ remoteId: 11, part: 2, filename: 'memo.docx', hidden: false,
    content: { sha256: memo.sha256, size: memo.size, fetchedAt: new Date() } });
  await archive.reconcileRequest(siteId, memoThread, {});

  await archive.reconcileRequest(siteId, thread({
    remoteId: 3, urlTitle: 'potholes', title: 'Pothole repairs', status: 'successful',
    authority: { urlName: 'york_council', name: 'York Council' }, remoteCreatedAt: new Date('2023-06-01T00:00:00Z'),
  }), {});
  await archive.reconcileRequest(siteId, thread({
    remoteId: 4, urlTitle: 'withdrawn_potholes', title: 'Pothole complaints', status: 'successful',
    authority: { urlName: 'york_council', name: 'York Council' }, remoteCreatedAt: new Date('2023-07-01T00:00:00Z'),
  }), {});
  await archive.markRemoved(siteId, 4, 'removed by the site', {});

  const jobs = await archive.jobs.claim('test', 10);
  for (const job of jobs) {
    if (job.sha256 === report.sha256) {
      await archive.jobs.complete(job.id, {
        type: 'pdf', pageCount: 3, needsOcr: false, warnings: [], metadata: {},
        pages: [
          { number: 1, text: 'Contents. Introduction to the audit of Elm Street.' },
          { number: 2, text: 'The junction has a history of collisions. The traffic calming measures here would cut speeds by >5 mph & "noise".' },
          { number: 3, text: 'Appendix: costs of resurfacing.' },
        ],
      });
    } else {
      await archive.jobs.complete(job.id, { type: 'docx', pageCount: 1, needsOcr: false, warnings: [], metadata: {},
        pages: [{ number: 1, text: 'Memo on pothole repair budgets for 2023.' }] });
    }
  }
});
afterAll(() => handle?.cleanup());

describe('search', () => {
  test('finds a phrase on the right page of a multi-page document, with an escaped snippet', async () => {
    const result = await archive.search({ text: '"traffic calming measures"' });
    expect(result.total).toBe(1);
    const hit = result.hits[0]!;
    expect(hit).toMatchObject({ kind: 'document', remoteId: 1, urlTitle: 'road_safety', status: 'successful',
      authority: { urlName: 'leeds_city_council', name: 'Leeds City Council' } });
    expect(hit.attachment).toMatchObject({ sha256: reportSha, page: 2, filename: 'audit.pdf', type: 'pdf' });
    expect(hit.snippet).toContain('<mark>traffic</mark> <mark>calming</mark> <mark>measures</mark>');
    expect(hit.snippet).toContain('by &gt;5 mph &amp; &quot;noise');
    expect(hit.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    expect(hit.snippetParts.filter((p) => p.match).map((p) => p.text)).toEqual(['traffic', 'calming', 'measures']);
    expect(hit.date).toBe('2022-05-01T00:00:00.000Z');
  });

  test('a title match ranks above a body match; requests and documents both hit', async () => {
    const result = await archive.search({ text: 'pothole' });
    expect(result.hits[0]).toMatchObject({ kind: 'request', remoteId: 3 });
    expect(result.hits[0]!.rank).toBeGreaterThan(result.hits[1]!.rank);
    expect(result.hits.slice(1).map((h) => `${h.kind}:${h.remoteId}`).sort()).toEqual(['document:2', 'request:2']);
    expect(result.total).toBe(3);
    expect(result.hits[0]!.snippet).toContain('<mark>Pothole</mark>');
  });

  test('filters narrow the hits and facets count the filtered set', async () => {
    const all = await archive.search({ text: 'pothole' });
    expect(all.facets.authority).toEqual([{ key: 'york_council', label: 'York Council', count: 3 }]);
    expect(all.facets.status).toEqual([
      { key: 'successful', label: 'successful', count: 1 },
      { key: 'waiting_response', label: 'waiting_response', count: 2 },
    ].sort((a, b) => b.count - a.count));
    expect(all.facets.type).toEqual([{ key: 'docx', label: 'docx', count: 1 }]);
    expect(all.facets.year).toEqual([{ key: '2023', label: '2023', count: 3 }]);

    const waiting = await archive.search({ text: 'pothole', status: 'waiting_response' });
    expect(waiting.total).toBe(2);
    expect(waiting.facets.status).toEqual([{ key: 'waiting_response', label: 'waiting_response', count: 2 }]);
    expect((await archive.search({ text: 'pothole', type: 'docx' })).hits.map((h) => h.kind)).toEqual(['document']);
    expect((await archive.search({ text: 'pothole', requester: 'bob' })).total).toBe(2);
    expect((await archive.search({ text: 'pothole', from: new Date('2023-03-01'), to: new Date('2023-12-31') })).total).toBe(1);
    expect((await archive.search({ text: 'pothole', authority: 'leeds_city_council' })).total).toBe(0);
  });

  test('without text: filters only, newest first, type facet counts requests holding that type', async () => {
    const result = await archive.search({});
    expect(result.hits.map((h) => h.remoteId)).toEqual([3, 2, 1]);
    expect(result.total).toBe(3);
    expect(result.facets.authority).toEqual([
      { key: 'york_council', label: 'York Council', count: 2 },
      { key: 'leeds_city_council', label: 'Leeds City Council', count: 1 },
    ]);
    expect(result.facets.year).toEqual([
      { key: '2023', label: '2023', count: 2 },
      { key: '2022', label: '2022', count: 1 },
    ]);
    expect(result.facets.type).toEqual([
      { key: 'docx', label: 'docx', count: 1 },
      { key: 'pdf', label: 'pdf', count: 1 },
    ]);
    expect((await archive.search({ type: 'pdf' })).hits.map((h) => h.remoteId)).toEqual([1]);
    const paged = await archive.search({ limit: 2, offset: 2 });
    expect(paged.hits.map((h) => h.remoteId)).toEqual([1]);
    expect(paged.total).toBe(3);
  });

  test('removed requests are excluded unless asked for', async () => {
    expect((await archive.search({ text: 'complaints' })).total).toBe(0);
    const [removed] = (await archive.search({ text: 'complaints', includeRemoved: true })).hits;
    expect(removed).toMatchObject({ remoteId: 4, removalReason: 'removed by the site', removedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // Beside a removed one, a hit on a request still on the site carries no removal.
    const both = await archive.search({ text: 'pothole', includeRemoved: true, sort: 'date' });
    expect(both.hits.map((h) => [h.remoteId, h.removedAt !== undefined])).toEqual([[4, true], [3, false], [2, false], [2, false]]);
    expect(Object.keys(both.hits[1]!)).not.toContain('removedAt');
  });

  test('a filter naming no authority, user, status or document type the archive holds is reported as such', async () => {
    expect(await archive.unknownFilters({ authority: 'york_council', requester: 'bob', status: 'successful', type: 'docx' })).toEqual([]);
    expect(await archive.unknownFilters({ authority: 'york', requester: 'bobby', status: 'sucessful', type: 'xlsx' })).toEqual(['authority', 'requester', 'status', 'type']);
    // A status no request has yet is not held either: the caller tells it from a typo.
    expect(await archive.unknownFilters({ text: 'pothole', status: 'rejected' })).toEqual(['status']);
    expect(await archive.unknownFilters({ text: 'pothole' })).toEqual([]);
  });

  test('export streams every hit in keyset pages', async () => {
    const rows: ExportRow[] = [];
    for await (const row of archive.exportRows({ text: 'pothole' })) rows.push(row);
    expect(rows.map((r) => [r.kind, r.remoteId, r.attachment?.page ?? null])).toEqual([
      ['request', 2, null],
      ['document', 2, 1],
      ['request', 3, null],
    ]);
    expect(rows[1]!.attachment).toMatchObject({ filename: 'memo.docx', type: 'docx' });
    expect(rows[0]!.requester).toEqual({ urlName: 'bob', name: 'Bob' });
    const all: ExportRow[] = [];
    for await (const row of archive.exportRows({})) all.push(row);
    expect(all.map((r) => r.remoteId)).toEqual([1, 2, 3]);
  });

  test('an attachment is found by id or sha256 with its provenance', async () => {
    const byId = await archive.getAttachment(String((await archive.getRequest('road_safety'))!.attachments[0]!.id));
    const bySha = await archive.getAttachment(reportSha);
    expect(bySha).toEqual(byId);
    expect(bySha).toMatchObject({ filename: 'audit.pdf', sha256: reportSha, blob: { sniffedType: 'pdf', pageCount: 3 },
      request: { remoteId: 1, urlTitle: 'road_safety', authority: { urlName: 'leeds_city_council' } },
      message: { kind: 'incoming', messageId: 21 } });
    expect(await archive.getAttachment('f'.repeat(64))).toBeNull();
  });

  test('the newest matches are by when they entered the archive, each document once with its first matching page', async () => {
    // 'potholes' was archived after 'school_meals' and its memo; the removed 'withdrawn_potholes' is left out.
    expect((await archive.newestMatches({ text: 'pothole' }, 1)).map((m) => [m.kind, m.remoteId])).toEqual([['request', 3]]);
    const memo = await archive.newestMatches({ text: 'pothole', type: 'docx' }, 10);
    expect(memo).toEqual([expect.objectContaining({ kind: 'document', remoteId: 2, attachment: expect.objectContaining({ filename: 'memo.docx', page: 1 }) })]);
    expect(Date.parse(memo[0]!.archivedAt)).not.toBeNaN();
    const audit = await archive.newestMatches({ text: 'audit OR junction OR resurfacing' }, 10);
    expect(audit.filter((m) => m.kind === 'document').map((m) => [m.attachment?.filename, m.attachment?.page])).toEqual([['audit.pdf', 1]]);
    expect((await archive.newestMatches({ text: 'junction OR resurfacing' }, 10)).map((m) => m.attachment?.page)).toEqual([2]);
  });

  // Runs last: it changes the road safety thread the other tests read.
  test('document hits follow later changes to their request, attachment and blob sharing', async () => {
    const siteId = await archive.ensureSite(SITE);
    const phrase = '"traffic calming measures"';
    const roads = (status: string, hidden: boolean) => {
      const input = thread({
        remoteId: 1, urlTitle: 'road_safety', title: 'Road safety audit for Elm Street',
        authority: { urlName: 'leeds_city_council', name: 'Leeds City Council' }, status,
        remoteCreatedAt: new Date('2022-05-01T00:00:00Z'),
      });
      input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'audit.pdf', hidden,
        content: { sha256: reportSha, size: 1, fetchedAt: new Date() } });
      return input;
    };
    const partitionsOfRoads = async () => {
      const result = (await archive.db.execute(sql`select distinct tableoid::regclass::text as partition from search_pages where request_id =
        (select id from requests where url_title = 'road_safety')`)) as unknown as { rows: { partition: string }[] };
      return result.rows.map((row) => row.partition);
    };
    expect(await partitionsOfRoads()).toEqual(['search_pages_successful']);
    await archive.reconcileRequest(siteId, roads('refused', false), {});
    // the status change moved the request's pages to the partition its new status belongs to
    expect(await partitionsOfRoads()).toEqual(['search_pages_other']);
    expect((await archive.search({ text: phrase, status: 'successful' })).total).toBe(0);
    expect((await archive.search({ text: phrase, status: 'refused' })).hits[0]).toMatchObject({ kind: 'document', status: 'refused' });

    // the same blob attached to another request after its pages were extracted
    const copy = thread({ remoteId: 5, urlTitle: 'audit_copy', title: 'Copy of the audit', status: 'successful',
      authority: { urlName: 'york_council', name: 'York Council' }, remoteCreatedAt: new Date('2024-01-01T00:00:00Z') });
    copy.events[1]!.attachments.push({ remoteId: 12, part: 2, filename: 'copy.pdf', hidden: false,
      content: { sha256: reportSha, size: 1, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, copy, {});
    expect((await archive.search({ text: phrase, sort: 'date' })).hits.map((h) => h.remoteId)).toEqual([5, 1]);

    await archive.reconcileRequest(siteId, roads('refused', true), {});
    expect((await archive.search({ text: phrase })).hits.map((h) => h.remoteId)).toEqual([5]);
  });
});

describe('search past the exact limit', () => {
  test('the total is a lower bound, date order stays exact and relevance ranks the matches read', async () => {
    const capped = await openTestArchive({ searchExactLimit: 2 });
    try {
      const siteId = await capped.archive.ensureSite(SITE);
      for (const [remoteId, year] of [[1, 2019], [2, 2023], [3, 2021], [4, 2022]] as const) {
        await capped.archive.reconcileRequest(siteId, thread({ remoteId, urlTitle: `bins_${remoteId}`, title: `Bin collection ${year}`,
          remoteCreatedAt: new Date(`${year}-01-01T00:00:00Z`) }), {});
      }
      const byDate = await capped.archive.search({ text: 'bin', sort: 'date', limit: 3 });
      expect(byDate).toMatchObject({ total: 2, totalIsEstimate: true });
      expect(byDate.hits.map((h) => h.remoteId)).toEqual([2, 4, 3]);
      expect((await capped.archive.search({ text: 'bin', sort: 'date', limit: 2, offset: 2 })).hits.map((h) => h.remoteId)).toEqual([3, 1]);
      const byRank = await capped.archive.search({ text: 'bin' });
      expect(byRank.totalIsEstimate).toBe(true);
      expect(byRank.hits).toHaveLength(2);
      expect((await capped.archive.search({ text: 'bin', from: new Date('2022-06-01') })).totalIsEstimate).toBe(false);
    } finally {
      await capped.cleanup();
    }
  });
});
