import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { runExtractionWorker } from '../../crawler/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { buildMsg } from '../parsers-documents/msg-builder.js';
import { textPdf } from '../parsers-documents/pdf-builder.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

interface StoredBlob {
  extraction_status: string;
  metadata: Record<string, unknown>;
  warnings: string[];
  text: string | null;
}

async function extractedAs(test: TestArchive, bytes: Buffer, contentType: string): Promise<StoredBlob> {
  const blob = await test.archive.putBlob(bytes, { contentType });
  await test.archive.jobs.enqueue(blob.sha256);
  expect(await runExtractionWorker(test.archive, { concurrency: 1 })).toEqual({ completed: 1, failed: 0, requeued: 0 });
  const [row] = await rowsOf<StoredBlob>(
    test.archive.db,
    sql`select b.extraction_status, b.metadata, b.warnings, p.text from blobs b left join document_pages p using (sha256)
        where b.sha256 = ${blob.sha256}`,
  );
  return row!;
}

describe('text a document brings that Postgres refuses', () => {
  it('keeps the text of a PDF whose title holds NUL characters', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const pdf = textPdf([['Gritting routes for winter 2024']], '<< /Title (Gritting\\000\\000 routes) /Author (Roads\\000Team) >>');
    const stored = await extractedAs(current, pdf, 'application/pdf');
    expect(stored.extraction_status).toBe('done');
    expect(stored.text).toBe('Gritting routes for winter 2024');
    expect(stored.metadata).toMatchObject({ title: 'Gritting routes', author: 'RoadsTeam' });
  });

  it('keeps the text of an Outlook message whose subject holds half of a surrogate pair', { timeout: 120_000 }, async () => {
    current = await openTestArchive();
    const msg = buildMsg({
      subject: 'Budget \uD83D report',
      body: 'The gritting budget for 2024 is attached.\r\n',
      senderName: 'FOI Team',
      senderEmail: 'foi@council.example.gov.uk',
      recipients: [],
      attachments: [],
      sentAt: new Date('2024-03-05T10:20:30Z'),
    });
    const stored = await extractedAs(current, msg, 'application/vnd.ms-outlook');
    expect(stored.extraction_status).toBe('done');
    expect(stored.text).toBe('The gritting budget for 2024 is attached.');
    expect(stored.metadata).toMatchObject({ subject: 'Budget \uFFFD report' });
  });
});
