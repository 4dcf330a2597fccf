import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, storeDoc, thread } from './fixtures.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

const CJK_FIRST = 0x4e00;
const CJK_COUNT = 20_902;

/**
 * 420,000 characters of distinct two-character Chinese words: Postgres's tsvector of the first 400,000 (what a page
 * is indexed by) would take 1.3 MB, over its 1 MB limit. A spreadsheet of codes in any non-Latin script gets there.
 */
function pageOverTheTsvectorLimit(): string {
  const words = Array.from({ length: 140_000 }, (_, i) =>
    String.fromCodePoint(CJK_FIRST + Math.floor(i / CJK_COUNT), CJK_FIRST + (i % CJK_COUNT)),
  );
  return words.join(' ');
}

async function threadWithAttachment(test: TestArchive, sha256: string, size: number, status = 'successful') {
  const siteId = await test.archive.ensureSite(SITE);
  const input = thread({ status, describedState: status });
  input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'codes.csv', hidden: false, content: { sha256, size, fetchedAt: new Date() } });
  await test.archive.reconcileRequest(siteId, input, {});
}

async function completeWithPages(test: TestArchive, pages: string[]): Promise<void> {
  const [job] = await test.archive.jobs.claim('test', 1);
  await test.archive.jobs.complete(job!.id, {
    type: 'csv', pageCount: pages.length, needsOcr: false, warnings: [], metadata: {},
    pages: pages.map((text, index) => ({ number: index + 1, text })),
  });
}

describe('a page whose words would make a tsvector over 1 MB', () => {
  it('is stored and indexed as far as the limit allows, and the other pages in full', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const doc = await storeDoc(current.archive, 'codes');
    await threadWithAttachment(current, doc.sha256, doc.size);
    const huge = pageOverTheTsvectorLimit();
    await completeWithPages(current, [huge, 'Summary of gritting routes']);

    const [stored] = await rowsOf<{ status: string; pages: number; chars: number }>(
      current.archive.db,
      sql`select b.extraction_status as status, count(p.page)::int as pages, max(length(p.text))::int as chars
          from blobs b join document_pages p using (sha256) where b.sha256 = ${doc.sha256} group by b.extraction_status`,
    );
    expect(stored).toEqual({ status: 'done', pages: 2, chars: huge.length });
    expect((await current.archive.search({ text: huge.slice(0, 2) })).hits[0]?.attachment).toMatchObject({ page: 1 });
    expect((await current.archive.search({ text: 'gritting' })).hits[0]?.attachment).toMatchObject({ page: 2 });
  });

  it('in a message is indexed as far as fits, and its thread stored, changed and found', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const siteId = await current.archive.ensureSite(SITE);
    const codes = pageOverTheTsvectorLimit();
    const withCodes = (status: string) => {
      const input = thread({ status, describedState: status });
      input.events[1]!.text = codes;
      return input;
    };
    await current.archive.reconcileRequest(siteId, withCodes('waiting_response'), {});
    await current.archive.reconcileRequest(siteId, withCodes('successful'), {});

    const [request] = await rowsOf<{ status: string; chars: number }>(
      current.archive.db,
      sql`select status, length(body_text)::int as chars from requests`,
    );
    expect(request?.status).toBe('successful');
    expect(request?.chars).toBeGreaterThan(codes.length);
    expect((await current.archive.search({ text: codes.slice(0, 2) })).hits[0]).toMatchObject({ kind: 'request', urlTitle: 'bin_collection_contracts' });
    expect((await current.archive.search({ text: 'Bin collection' })).total).toBe(1);
  });

  it('does not stop a thread holding an extracted copy from being archived or changing status', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const doc = await storeDoc(current.archive, 'codes');
    await current.archive.jobs.enqueue(doc.sha256);
    await completeWithPages(current, [pageOverTheTsvectorLimit()]);

    await threadWithAttachment(current, doc.sha256, doc.size, 'waiting_response');
    await threadWithAttachment(current, doc.sha256, doc.size, 'successful');
    const [request] = await rowsOf<{ status: string; pages: number }>(
      current.archive.db,
      sql`select r.status, (select count(*)::int from search_pages h where h.request_id = r.id) as pages from requests r`,
    );
    expect(request).toEqual({ status: 'successful', pages: 1 });
  });
});
