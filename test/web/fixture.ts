import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Archive } from '../../storage/index.js';

export const SITE = 'https://www.whatdotheyknow.com';

export const THREAD = {
  remoteId: 4201,
  urlTitle: 'housing_repairs_backlog',
  title: 'Housing repairs backlog 2023',
  authority: { urlName: 'camden_borough_council', name: 'Camden Borough Council' },
};

export const EVIL_FILENAME = '<script>alert("name")</script>.html';
export const EVIL_MESSAGE = 'Thanks. <script>alert("message")</script> <img src=x onerror=alert(1)>';
export const EVIL_HTML = '<!doctype html><html><body><script>document.title="pwned"</script><p>authority page</p></body></html>';
export const REMOVED = { remoteId: 4300, urlTitle: 'withdrawn_request', reason: 'removed at the request of the authority' };

export interface Seeded {
  siteId: number;
  requestId: number;
  pdf: { bytes: Buffer; sha256: string; attachmentId: number };
  html: { sha256: string; attachmentId: number };
  pageCaptureId: number;
  pageHtml: string;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

export function threadPageHtml(siteUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${THREAD.title} - a Freedom of Information request</title>
<link rel="stylesheet" href="/assets/application.css"><script src="${siteUrl}/assets/application.js"></script></head>
<body><h1 id="request_title">${THREAD.title}</h1><p>Request to <a href="/body/${THREAD.authority.urlName}">${THREAD.authority.name}</a></p>
<img src="/assets/logo.png" alt="logo"><div class="correspondence">Dear Camden Borough Council, please send the housing repairs backlog.</div></body></html>`;
}

/**
 * Fills an archive the way a crawl would: blobs first, captures, one reconcile per thread, then the
 * extraction jobs completed with page texts (as a worker would).
 */
export async function seedArchive(archive: Archive, siteUrl = SITE): Promise<Seeded> {
  const siteId = await archive.ensureSite(siteUrl, 'WhatDoTheyKnow');
  const fetchedAt = new Date('2024-03-02T10:00:00Z');
  const pdfBytes = await readFile(new URL('../../fixtures/docs/tfl.pdf', import.meta.url));
  const pdfBlob = await archive.putBlob(pdfBytes, { contentType: 'application/pdf' });
  const htmlBlob = await archive.putBlob(Buffer.from(EVIL_HTML), { contentType: 'text/html' });
  const pageHtml = threadPageHtml(siteUrl);
  const pageBlob = await archive.putBlob(Buffer.from(pageHtml), { contentType: 'text/html' });

  const ua = { 'user-agent': 'wdtk-archive/0.1.0 (+mailto:test@example.org)', accept: '*/*' };
  const pageCaptureId = await archive.recordCapture({
    siteId,
    url: `${siteUrl}/request/${THREAD.urlTitle}?unfold=1`,
    fetchedAt,
    status: 200,
    requestHeaders: ua,
    responseHeaders: { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', etag: '"abc"' },
    sha256: pageBlob.sha256,
    size: pageBlob.size,
    kind: 'page',
  });
  const pdfUrl = `${siteUrl}/request/${THREAD.remoteId}/response/77/attach/2/repairs%20backlog.pdf`;
  const pdfCaptureId = await archive.recordCapture({
    siteId,
    url: pdfUrl,
    fetchedAt,
    status: 200,
    requestHeaders: ua,
    responseHeaders: { 'content-type': 'application/pdf', 'content-length': String(pdfBytes.length), 'last-modified': 'Fri, 01 Mar 2024 09:00:00 GMT' },
    sha256: pdfBlob.sha256,
    size: pdfBlob.size,
    kind: 'attachment',
  });
  const htmlUrl = `${siteUrl}/request/${THREAD.remoteId}/response/77/attach/3/evil.html`;
  const htmlCaptureId = await archive.recordCapture({
    siteId,
    url: htmlUrl,
    fetchedAt,
    status: 200,
    requestHeaders: ua,
    responseHeaders: { 'content-type': 'text/html' },
    sha256: htmlBlob.sha256,
    size: htmlBlob.size,
    kind: 'attachment',
  });

  const outcome = await archive.reconcileRequest(
    siteId,
    {
      remoteId: THREAD.remoteId,
      urlTitle: THREAD.urlTitle,
      title: THREAD.title,
      authority: THREAD.authority,
      requester: { urlName: 'jane_doe', name: 'Jane Doe' },
      status: 'successful',
      statusLabel: 'Successful',
      describedState: 'successful',
      prominence: 'normal',
      remoteCreatedAt: new Date('2024-01-15T09:00:00Z'),
      remoteUpdatedAt: new Date('2024-03-01T12:00:00Z'),
      events: [
        {
          kind: 'outgoing',
          messageId: 76,
          eventId: 1001,
          time: new Date('2024-01-15T09:00:00Z'),
          author: 'Jane Doe',
          hidden: false,
          text: 'Dear Camden Borough Council,\nPlease send the housing repairs backlog for 2023.\nYours faithfully,\nJane Doe',
          attachments: [],
        },
        {
          kind: 'incoming',
          messageId: 77,
          eventId: 1002,
          time: new Date('2024-03-01T12:00:00Z'),
          author: 'Camden Borough Council',
          hidden: false,
          text: `Dear Jane,\nPlease find the figures attached.\n${EVIL_MESSAGE}\n\n-----Original Message-----\nFrom: Jane Doe\nPlease send the housing repairs backlog for 2023.`,
          attachments: [
            {
              remoteId: 2,
              part: 2,
              filename: 'repairs backlog.pdf',
              contentType: 'application/pdf',
              sourceUrl: pdfUrl,
              hidden: false,
              content: { sha256: pdfBlob.sha256, size: pdfBlob.size, captureId: pdfCaptureId, fetchedAt },
            },
            {
              remoteId: 3,
              part: 3,
              filename: EVIL_FILENAME,
              contentType: 'text/html',
              sourceUrl: htmlUrl,
              hidden: false,
              content: { sha256: htmlBlob.sha256, size: htmlBlob.size, captureId: htmlCaptureId, fetchedAt },
            },
          ],
        },
      ],
    },
    { captureId: pageCaptureId },
  );

  await archive.reconcileRequest(
    siteId,
    {
      remoteId: REMOVED.remoteId,
      urlTitle: REMOVED.urlTitle,
      title: 'A request that was later withdrawn',
      authority: THREAD.authority,
      requester: null,
      status: 'waiting_response',
      prominence: 'normal',
      remoteCreatedAt: new Date('2024-02-01T09:00:00Z'),
      events: [],
    },
    {},
  );
  await archive.markRemoved(siteId, REMOVED.remoteId, REMOVED.reason, { status: 410 });

  const texts: Record<string, string[]> = {
    [pdfBlob.sha256]: ['Transport figures, summary page.', 'The backlog of housing repairs grew to 4,312 cases in 2023.'],
    [htmlBlob.sha256]: ['authority page'],
  };
  for (const job of await archive.jobs.claim('test-worker', 10)) {
    const pages = texts[job.sha256];
    if (!pages) continue;
    await archive.jobs.complete(job.id, {
      type: job.sha256 === pdfBlob.sha256 ? 'pdf' : 'html',
      pageCount: pages.length,
      needsOcr: false,
      warnings: [],
      metadata: {},
      pages: pages.map((text, i) => ({ number: i + 1, text })),
    });
  }

  const detail = await archive.getRequest(THREAD.urlTitle);
  const byName = (name: string) => detail?.attachments.find((a) => a.filename === name)?.id;
  const pdfAttachmentId = byName('repairs backlog.pdf');
  const htmlAttachmentId = byName(EVIL_FILENAME);
  if (!pdfAttachmentId || !htmlAttachmentId) throw new Error('seeded attachments were not stored');
  if (sha256(pdfBytes) !== pdfBlob.sha256) throw new Error('putBlob returned a sha256 that does not match the bytes');
  return {
    siteId,
    requestId: outcome.requestId,
    pdf: { bytes: pdfBytes, sha256: pdfBlob.sha256, attachmentId: pdfAttachmentId },
    html: { sha256: htmlBlob.sha256, attachmentId: htmlAttachmentId },
    pageCaptureId,
    pageHtml,
  };
}
