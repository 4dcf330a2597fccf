import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive, AttachmentInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { threadOf } from '../helpers/copies.js';

const AUTHORITY = { urlName: 'hackney_council', name: 'Hackney Council' };
const THREAD = { remoteId: 7101, urlTitle: 'pothole_repairs_hackney', title: 'Pothole repairs', authority: AUTHORITY, day: '2024-03-04' };
const DOCUMENTS = {
  waiting: 'A letter still in the queue.',
  retrying: 'A letter whose first attempt failed.',
  failed: 'A document that never reads.',
  scan: 'Scanned pages, no text layer.',
};
type Document = keyof typeof DOCUMENTS;
const ERROR = 'unreadable pdf: Invalid PDF structure';
const OCR_WARNING = 'image: OCR is off or tesseract is not installed, so no text';

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;
const ids = {} as Record<Document, number>;

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const parts: AttachmentInput[] = [];
  const shaOf = {} as Record<Document, string>;
  for (const [i, [name, text]] of Object.entries(DOCUMENTS).entries()) {
    const blob = await archive.putBlob(Buffer.from(text), { contentType: 'application/pdf' });
    shaOf[name as Document] = blob.sha256;
    parts.push({
      remoteId: i + 2,
      part: i + 2,
      filename: `${name}.pdf`,
      contentType: 'application/pdf',
      hidden: false,
      content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-03-05T10:00:00Z') },
    });
  }
  await archive.reconcileRequest(siteId, threadOf(THREAD, parts), {});
  for (const a of (await archive.getRequest(THREAD.urlTitle))!.attachments) ids[a.filename!.replace('.pdf', '') as Document] = a.id;

  // As workers would leave them: one claim each, in the order the queue hands them out.
  const jobOf = new Map<string, number>();
  for (const claim of await archive.jobs.claim('test-worker', 10)) jobOf.set(claim.sha256, claim.id);
  await archive.jobs.release(jobOf.get(shaOf.waiting)!);
  await archive.jobs.fail(jobOf.get(shaOf.retrying)!, ERROR);
  await archive.jobs.fail(jobOf.get(shaOf.failed)!, ERROR, { retry: false });
  await archive.jobs.complete(jobOf.get(shaOf.scan)!, { type: 'pdf', pageCount: 2, needsOcr: true, warnings: [OCR_WARNING], metadata: {}, pages: [] });
  app = createApp(archive);
});
afterAll(async () => cleanup());

const pageOf = async (doc: Document) => (await app.request(`/attachment/${ids[doc]}`)).text();
const stateOf = (body: string) => /<dd id="extraction">([^<]*)<\/dd>/.exec(body)?.[1];

describe("an attachment's page says where its text extraction stands", () => {
  it('waiting in the queue', async () => {
    const body = await pageOf('waiting');
    expect(stateOf(body)).toBe('waiting to be extracted');
    expect(body).toContain('No text yet: the document is waiting to be extracted.');
  });

  it('to be tried again, with why the last attempt failed', async () => {
    expect(stateOf(await pageOf('retrying'))).toBe(`to be tried again after 1 attempt: ${ERROR}`);
  });

  it('given up on, with why, so a reader knows search cannot find it', async () => {
    const body = await pageOf('failed');
    expect(stateOf(body)).toBe(`could not be extracted (1 attempt): ${ERROR}`);
    expect(body).toContain('No text: extraction failed, so search does not find this document.');
  });

  it('a scan OCR did not read is not called text by OCR, and the note says why', async () => {
    const body = await pageOf('scan');
    expect(stateOf(body)).toMatch(/^extracted \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; scanned pages without a text layer, which OCR did not read/);
    expect(body).not.toContain('text by OCR');
    expect(body).toContain(`<dt>Extraction notes</dt><dd><ul class="plain"><li>${OCR_WARNING}</li></ul></dd>`);
  });

  it('and the API gives the same state, as its OpenAPI description says', async () => {
    const body = (await (await app.request(`/api/attachment/${ids.failed}`)).json()) as { extraction: Record<string, unknown> };
    expect(body).toMatchObject({ extraction: { status: 'failed', attempts: 1, error: ERROR, warnings: [] } });
    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, { properties: object }> } }> }> } }>;
    };
    const described = doc.paths['/api/attachment/{idOrSha256}']!.get.responses['200']!.content['application/json']!.schema.properties['extraction']!;
    expect(Object.keys(described.properties).sort()).toEqual(Object.keys(body.extraction).sort());
  });
});
