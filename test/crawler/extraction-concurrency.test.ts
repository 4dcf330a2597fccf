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
    expect(summary).toEqual({ completed: 6, failed: 0, requeued: 0 });
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
    expect(await runExtractionWorker(test.archive, { concurrency: 1 })).toEqual({ completed: 3, failed: 0, requeued: 0 });
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

    expect(summary).toEqual({ completed: 1, failed: 0, requeued: 0 });
    // The extraction outlasted the lease several times over, so without renewals the other worker would have taken it.
    expect(performance.now() - started).toBeGreaterThan(4 * leaseSeconds * 1000);
    expect(stolen).toEqual([]);
    const [job] = await rowsOf<{ status: string; attempts: number }>(archive.db, sql`select status, attempts from jobs`);
    expect(job).toEqual({ status: 'done', attempts: 1 });
  });
});

describe('extraction failures', () => {
  it('are counted by document, however many attempts one took, and `retryFailed` gives every failed one another chance', { timeout: 120_000 }, async () => {
    const test = await queueDocuments(2);
    const { archive } = test;
    // An original lost from the store: every attempt fails alike.
    const broken = await archive.putBlob(Buffer.from('A letter the store has since lost.\n'), { contentType: 'text/plain' });
    await archive.jobs.enqueue(broken.sha256);
    await archive.blobs.delete(broken.sha256);
    // A document that failed through no fault of its own (a worker that could not start, say): failed for good.
    const fine = await archive.putBlob(Buffer.from('The council gritted 42 roads in 2024.\n'), { contentType: 'text/plain' });
    await archive.jobs.enqueue(fine.sha256);
    const claimed = await archive.jobs.claim('earlier-worker', 10);
    const fineJob = claimed.find((job) => job.sha256 === fine.sha256)!;
    expect(await archive.jobs.fail(fineJob.id, 'extraction worker crashed: Cannot find module worker-entry.mjs', { retry: false })).toBe('failed');
    for (const job of claimed.filter((job) => job.id !== fineJob.id)) await archive.jobs.release(job.id);

    expect(await runExtractionWorker(archive, { concurrency: 1 })).toEqual({ completed: 2, failed: 1, requeued: 0 });
    const statuses = async () =>
      Object.fromEntries(
        (await rowsOf<{ sha256: string; status: string; attempts: number }>(archive.db, sql`select sha256, status, attempts from jobs`)).map((job) => [
          job.sha256,
          [job.status, job.attempts],
        ]),
      );
    expect((await statuses())[broken.sha256]).toEqual(['failed', 3]);

    expect(await archive.jobs.retryFailed()).toBe(2);
    expect(await runExtractionWorker(archive, { concurrency: 1 })).toEqual({ completed: 1, failed: 1, requeued: 0 });
    const after = await statuses();
    expect(after[fine.sha256]).toEqual(['done', 1]);
    expect(after[broken.sha256]).toEqual(['failed', 3]);
    const [text] = await rowsOf<{ text: string; status: string }>(
      archive.db,
      sql`select p.text, b.extraction_status as status from document_pages p join blobs b using (sha256) where sha256 = ${fine.sha256}`,
    );
    expect(text).toEqual({ text: expect.stringContaining('gritted 42 roads'), status: 'done' });
  });
});
