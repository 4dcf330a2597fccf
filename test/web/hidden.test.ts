import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type Archive, type AttachmentInput, type EventInput, type ReconcileInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { seedArchive, THREAD, type Seeded } from './fixture.js';

// A thread where the site later hid a message (the page then lists none of its attachments), hid one attachment and
// dropped another; the archive kept all of it, as it does for its operator.
const HIDDEN = { remoteId: 4400, urlTitle: 'pothole_compensation_claims', title: 'Pothole compensation claims' };
const SECRET_TEXT = 'The claimant at 12 Acacia Avenue was paid £2,400.';
const COPY = { remoteId: 4401, urlTitle: 'pothole_claims_again' };

let archive: Archive;
let cleanup: () => Promise<void>;
let seeded: Seeded;
let app: Hono;
const ids: Record<'ofHiddenMessage' | 'hidden' | 'removed' | 'hiddenCopy' | 'publicCopy', number> = {
  ofHiddenMessage: 0,
  hidden: 0,
  removed: 0,
  hiddenCopy: 0,
  publicCopy: 0,
};
const sha: Record<'ofHiddenMessage' | 'hidden' | 'removed' | 'copy', string> = { ofHiddenMessage: '', hidden: '', removed: '', copy: '' };
let snapshotCaptureId: number;

async function attachment(part: number, name: string, text: string, hidden = false): Promise<AttachmentInput> {
  const blob = await archive.putBlob(Buffer.from(text), { contentType: 'text/plain' });
  return { remoteId: part, part, filename: name, contentType: 'text/plain', hidden, content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-04-01T10:00:00Z') } };
}

function thread(remoteId: number, urlTitle: string, events: EventInput[]): ReconcileInput {
  return {
    remoteId,
    urlTitle,
    title: HIDDEN.title,
    authority: THREAD.authority,
    requester: { urlName: 'sam_roe', name: 'Sam Roe' },
    status: 'successful',
    prominence: 'normal',
    remoteCreatedAt: new Date('2024-04-01T09:00:00Z'),
    events,
  };
}

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive);
  const siteId = seeded.siteId;
  const letter = await attachment(1, 'claimant letter.txt', 'Letter from the claimant at 12 Acacia Avenue');
  const hidden = await attachment(2, 'unredacted list.txt', 'Names and addresses of every claimant', true);
  const dropped = await attachment(3, 'old draft.txt', 'A draft the authority withdrew');
  const copy = await attachment(4, 'claims summary.txt', 'Summary of claims, also released elsewhere', true);
  const message = (hiddenNow: boolean): EventInput => ({
    kind: 'incoming',
    messageId: 91,
    time: new Date('2024-04-02T09:00:00Z'),
    author: 'Camden Borough Council',
    hidden: hiddenNow,
    ...(hiddenNow ? {} : { text: SECRET_TEXT }),
    attachments: hiddenNow ? [] : [letter],
  });
  const other = (withDraft: boolean): EventInput => ({
    kind: 'incoming',
    messageId: 92,
    time: new Date('2024-04-03T09:00:00Z'),
    author: 'Camden Borough Council',
    hidden: false,
    text: 'Please find the list attached.',
    attachments: withDraft ? [hidden, copy, dropped] : [hidden, copy],
  });
  const pageBlob = await archive.putBlob(Buffer.from('<html>thread as it was</html>'), { contentType: 'text/html' });
  const snapshot = await archive.putBlob(Buffer.from('%PDF-1.4 snapshot showing the message before it was hidden'), { contentType: 'application/pdf' });
  snapshotCaptureId = await archive.recordCapture({
    siteId,
    url: `https://www.whatdotheyknow.com/request/${HIDDEN.urlTitle}`,
    fetchedAt: new Date('2024-04-02T12:00:00Z'),
    status: 200,
    requestHeaders: {},
    responseHeaders: { 'content-type': 'text/html' },
    sha256: pageBlob.sha256,
    size: pageBlob.size,
    kind: 'page',
  });
  await archive.reconcileRequest(siteId, thread(HIDDEN.remoteId, HIDDEN.urlTitle, [message(false), other(true)]), { captureId: snapshotCaptureId });
  await archive.db.update(schema.captures).set({ snapshotPdfSha256: snapshot.sha256 }).where(eq(schema.captures.id, snapshotCaptureId));
  await archive.reconcileRequest(siteId, thread(HIDDEN.remoteId, HIDDEN.urlTitle, [message(true), other(false)]), {});
  await archive.reconcileRequest(siteId, thread(COPY.remoteId, COPY.urlTitle, [{ ...other(false), messageId: 93, attachments: [{ ...copy, hidden: false }] }]), {});

  // Extracted as a worker would, so the search index has every attachment's text to leave out or keep.
  const texts = new Map([letter, hidden, dropped, copy].map((a) => [a.content!.sha256, a.filename!]));
  for (const job of await archive.jobs.claim('test-worker', 20)) {
    const blob = await archive.blobs.get(job.sha256);
    const chunks: Buffer[] = [];
    for await (const chunk of blob) chunks.push(chunk as Buffer);
    if (!texts.has(job.sha256)) continue;
    const text = Buffer.concat(chunks).toString('utf8');
    await archive.jobs.complete(job.id, { type: 'text', pageCount: 1, needsOcr: false, warnings: [], metadata: {}, pages: [{ number: 1, text }] });
  }

  const detail = await archive.getRequest(HIDDEN.urlTitle);
  const named = (name: string) => detail?.attachments.find((a) => a.filename === name);
  ids.ofHiddenMessage = named('claimant letter.txt')!.id;
  ids.hidden = named('unredacted list.txt')!.id;
  ids.removed = named('old draft.txt')!.id;
  ids.hiddenCopy = named('claims summary.txt')!.id;
  ids.publicCopy = (await archive.getRequest(COPY.urlTitle))!.attachments[0]!.id;
  sha.ofHiddenMessage = letter.content!.sha256;
  sha.hidden = hidden.content!.sha256;
  sha.removed = dropped.content!.sha256;
  sha.copy = copy.content!.sha256;
  app = createApp(archive);
});

afterAll(async () => {
  await cleanup?.();
});

const get = (path: string) => app.request(path);

describe('a message the site hid', () => {
  it('the archive still holds its text and attachment, for the operator', async () => {
    const detail = await archive.getRequest(HIDDEN.urlTitle);
    expect(detail?.events.find((e) => e.messageId === 91)).toMatchObject({ hidden: true, text: SECRET_TEXT });
    expect(detail?.attachments.find((a) => a.id === ids.removed)?.removedAt).toBeInstanceOf(Date);
  });

  it('shows on the page as author and date only: no text, no attachment', async () => {
    const res = await get(`/request/${HIDDEN.urlTitle}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('This message was hidden by the site.');
    expect(body).toContain('2024-04-02');
    expect(body).not.toContain('Acacia');
    expect(body).not.toContain('claimant letter');
    expect(body).not.toContain(`/attachment/${ids.ofHiddenMessage}`);
  });

  it('comes through the API as author, date and hidden: no text, no attachment', async () => {
    const res = await get(`/api/request/${HIDDEN.urlTitle}`);
    const text = await res.text();
    expect(text).not.toContain('Acacia');
    expect(text).not.toContain(sha.ofHiddenMessage);
    const body = JSON.parse(text) as { events: { messageId: number }[]; attachments: { id: number }[] };
    expect(body.events.find((e) => e.messageId === 91)).toMatchObject({ hidden: true, text: null, attachments: [], author: 'Camden Borough Council' });
    expect(body.attachments.map((a) => a.id)).not.toContain(ids.ofHiddenMessage);
  });
});

describe('attachments the site no longer shows', () => {
  it('are named on the request page with no link to their page, text or bytes', async () => {
    const body = await (await get(`/request/${HIDDEN.urlTitle}`)).text();
    expect(body).toContain('unredacted list.txt');
    expect(body).toContain('old draft.txt');
    for (const id of [ids.hidden, ids.removed, ids.hiddenCopy]) expect(body).not.toContain(`/attachment/${id}`);
  });

  it('answer 410 on every route, by id or by sha256: JSON under /api/, a page or text elsewhere', async () => {
    const refs = [String(ids.ofHiddenMessage), String(ids.hidden), String(ids.removed), sha.ofHiddenMessage, sha.hidden, sha.removed];
    for (const ref of refs) {
      for (const path of [`/api/attachment/${ref}`, `/api/attachment/${ref}/text`]) {
        const res = await get(path);
        expect(res.status, path).toBe(410);
        expect(await res.json(), path).toMatchObject({ error: 'no longer shown by the site', reason: expect.stringMatching(/(hidden on|removed from) the site$/) });
      }
      const page = await get(`/attachment/${ref}`);
      expect(page.status, ref).toBe(410);
      expect(page.headers.get('content-type')).toContain('text/html');
      const download = await get(`/attachment/${ref}/download`);
      expect(download.status, ref).toBe(410);
      expect(await download.text(), ref).toMatch(/^Gone: /);
    }
  });

  it('by sha256, content also public elsewhere is served through the public attachment', async () => {
    expect(ids.hiddenCopy).toBeLessThan(ids.publicCopy);
    expect((await get(`/api/attachment/${ids.hiddenCopy}`)).status).toBe(410);
    const res = await get(`/api/attachment/${sha.copy}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: ids.publicCopy, request: { urlTitle: COPY.urlTitle } });
    const download = await get(`/attachment/${sha.copy}/download`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('Summary of claims, also released elsewhere');
  });
});

describe('page snapshots', () => {
  it("of a thread with something hidden are not served or linked: one may show it as it was", async () => {
    const res = await get(`/capture/${snapshotCaptureId}/snapshot.pdf`);
    expect(res.status).toBe(410);
    expect(await res.text()).not.toContain('%PDF');
    expect(await (await get(`/request/${HIDDEN.urlTitle}`)).text()).not.toContain(`/capture/${snapshotCaptureId}/`);
    const api = (await (await get(`/api/request/${HIDDEN.urlTitle}`)).json()) as { captures: { id: number; snapshotPdfSha256: string | null }[] };
    expect(api.captures.find((c) => c.id === snapshotCaptureId)?.snapshotPdfSha256).toBeNull();
  });

  it('of a thread with nothing hidden are served', async () => {
    const snapshot = await archive.putBlob(Buffer.from('%PDF-1.4 public thread'), { contentType: 'application/pdf' });
    await archive.db.update(schema.captures).set({ snapshotPdfSha256: snapshot.sha256 }).where(eq(schema.captures.id, seeded.pageCaptureId));
    expect(await (await get(`/request/${THREAD.urlTitle}`)).text()).toContain(`/capture/${seeded.pageCaptureId}/snapshot.pdf`);
    const res = await get(`/capture/${seeded.pageCaptureId}/snapshot.pdf`);
    expect(res.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(snapshot.sha256);
  });
});

describe('search and exports', () => {
  it('never carry the hidden text or a withheld attachment', async () => {
    for (const path of ['/api/search?q=Acacia', '/export.jsonl?q=Acacia', '/export.csv?q=claimant', '/api/search?q=unredacted+names']) {
      const text = await (await get(path)).text();
      expect(text, path).not.toContain('Acacia Avenue');
      for (const hash of [sha.ofHiddenMessage, sha.hidden, sha.removed]) expect(text, path).not.toContain(hash);
    }
  });
});
