import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { runExtractionWorker } from '../../crawler/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

/** Jobs for `count` distinct text documents, queued and not yet claimed. */
async function queueDocuments(count: number): Promise<TestArchive> {
  current = await openTestArchive();
  for (let i = 0; i < count; i++) {
    const blob = await current.archive.putBlob(Buffer.from(`Document ${i}: the council holds no records of road salting in ${2000 + i}.\n`), {
      contentType: 'text/plain',
    });
    await current.archive.jobs.enqueue(blob.sha256);
  }
  return current;
}

/** Pairs of jobs whose claim-to-finish spans overlap: documents that were being extracted at the same time. */
async function overlappingPairs(test: TestArchive): Promise<number> {
  const [row] = await rowsOf<{ n: number }>(
    test.archive.db,
    sql`select count(*)::int as n from jobs a join jobs b on a.id < b.id
        where a.claimed_at < b.finished_at and b.claimed_at < a.finished_at`,
  );
  return Number(row?.n ?? 0);
}

describe('extraction worker concurrency', () => {
  it('extracts every queued document once, several at a time', { timeout: 120_000 }, async () => {
    const test = await queueDocuments(6);
    const extracted: string[] = [];
    const summary = await runExtractionWorker(test.archive, { concurrency: 3, onJob: (outcome) => extracted.push(outcome.sha256) });
    expect(summary).toEqual({ completed: 6, failed: 0 });
    expect(new Set(extracted).size).toBe(6);
    const [done] = await rowsOf<{ n: number; attempts: number }>(
      test.archive.db,
      sql`select count(*)::int as n, max(attempts)::int as attempts from jobs where status = 'done'`,
    );
    expect(done).toEqual({ n: 6, attempts: 1 });
    expect(await overlappingPairs(test)).toBeGreaterThan(0);
  });

  it('takes one document at a time with a concurrency of 1', { timeout: 120_000 }, async () => {
    const test = await queueDocuments(3);
    expect(await runExtractionWorker(test.archive, { concurrency: 1 })).toEqual({ completed: 3, failed: 0 });
    expect(await overlappingPairs(test)).toBe(0);
  });
});
