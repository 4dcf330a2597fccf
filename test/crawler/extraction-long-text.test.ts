import { afterEach, describe, expect, it } from 'vitest';
import { runExtractionWorker } from '../../crawler/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, thread } from '../storage/fixtures.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

describe('a long text document', () => {
  it('is searchable to its last line, not only in its first 400,000 characters', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const { archive } = current;
    // A data release of 12,000 penalty notices, 720,000 characters; the last names a street no other row does.
    const rows = Array.from({ length: 12_000 }, (_, i) => `PCN${String(i).padStart(7, '0')},2024-01-01,Parked on a yellow line,High Street`);
    rows.push('PCN9999999,2024-12-31,Parked on a yellow line,Quixotic Lane');
    const csv = Buffer.from(`Ref,Date,Contravention,Location\n${rows.join('\n')}\n`);
    const blob = await archive.putBlob(csv, { contentType: 'text/csv' });
    const siteId = await archive.ensureSite(SITE);
    const input = thread();
    input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'pcns.csv', hidden: false, content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, input, {});

    expect(await runExtractionWorker(archive, { concurrency: 1 })).toEqual({ completed: 1, failed: 0, requeued: 0 });
    const found = await archive.search({ text: 'quixotic' });
    expect(found.total).toBe(1);
    expect(found.hits[0]!.attachment).toMatchObject({ sha256: blob.sha256, filename: 'pcns.csv' });
    expect(found.hits[0]!.attachment!.page).toBeGreaterThan(1);
    expect(found.hits[0]!.snippet).toContain('<mark>Quixotic</mark> Lane');
  });
});
