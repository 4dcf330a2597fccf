import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { runExtractionWorker } from '../../crawler/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { textPdf } from '../parsers-documents/pdf-builder.js';

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

describe('extraction claims', () => {
  it('holds on to a document that takes longer than the lease, renewing its claim', { timeout: 120_000 }, async () => {
    const leaseSeconds = 0.25;
    current = await openTestArchive({ jobLeaseSeconds: leaseSeconds });
    const { archive } = current;
    const pdf = textPdf(Array.from({ length: 2400 }, (_, page) => Array.from({ length: 40 }, (_, line) => `Page ${page} line ${line} of a long disclosure`)));
    const blob = await archive.putBlob(pdf, { contentType: 'application/pdf' });
    await archive.jobs.enqueue(blob.sha256);

    // Another worker asks for work all the while; it may only ever get a claim whose lease ran out.
    let extracting = true;
    const stolen: number[] = [];
    const otherWorker = (async () => {
      while (extracting) {
        const [job] = await rowsOf<{ status: string }>(archive.db, sql`select status from jobs`);
        if (job?.status === 'running') stolen.push(...(await archive.jobs.claim('other-worker', 1)).map((claim) => claim.id));
        await sleep(50);
      }
    })();
    const started = performance.now();
    const summary = await runExtractionWorker(archive, { concurrency: 1 }).finally(() => (extracting = false));
    await otherWorker;

    expect(summary).toEqual({ completed: 1, failed: 0 });
    // The extraction outlasted the lease several times over, so without renewals the other worker would have taken it.
    expect(performance.now() - started).toBeGreaterThan(4 * leaseSeconds * 1000);
    expect(stolen).toEqual([]);
    const [job] = await rowsOf<{ status: string; attempts: number }>(archive.db, sql`select status, attempts from jobs`);
    expect(job).toEqual({ status: 'done', attempts: 1 });
  });
});
