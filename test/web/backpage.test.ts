import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { seedArchive, THREAD, type Seeded } from './fixture.js';

// A request the site serves by its link but keeps off its listings and search, with X-Robots-Tag: noindex.
const BACKPAGE = { remoteId: 4500, urlTitle: 'gritting_complaints_mill_lane', title: 'Gritting complaints about Mill Lane' };

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;
let seeded: Seeded;
let backpageAttachmentId: number;

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive);
  const { siteId } = seeded;
  const list = await archive.putBlob(Buffer.from('Complaints about gritting on Mill Lane, by date.'), { contentType: 'text/plain' });
  await archive.reconcileRequest(
    siteId,
    {
      ...BACKPAGE,
      authority: THREAD.authority,
      requester: { urlName: 'sam_roe', name: 'Sam Roe' },
      status: 'successful',
      prominence: 'backpage',
      remoteCreatedAt: new Date('2024-05-01T09:00:00Z'),
      events: [
        { kind: 'outgoing', messageId: 95, time: new Date('2024-05-01T09:00:00Z'), author: 'Sam Roe', hidden: false, text: 'Please send the gritting complaints.', attachments: [] },
        {
          kind: 'incoming',
          messageId: 96,
          time: new Date('2024-05-20T09:00:00Z'),
          author: THREAD.authority.name,
          hidden: false,
          text: 'The complaints are attached.',
          attachments: [
            { remoteId: 2, part: 2, filename: 'complaints.txt', contentType: 'text/plain', hidden: false, content: { sha256: list.sha256, size: list.size, fetchedAt: new Date('2024-05-21T10:00:00Z') } },
          ],
        },
      ],
    },
    {},
  );
  backpageAttachmentId = (await archive.getRequest(BACKPAGE.urlTitle))!.attachments[0]!.id;
  app = createApp(archive);
});
afterAll(async () => cleanup());

describe('a backpage request in the web UI and API', () => {
  it('is served by its link with X-Robots-Tag: noindex, as the site serves it', async () => {
    for (const path of [`/request/${BACKPAGE.urlTitle}`, `/api/request/${BACKPAGE.urlTitle}`, `/request/${BACKPAGE.remoteId}`]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('x-robots-tag'), path).toBe('noindex');
    }
    expect(await (await app.request(`/request/${BACKPAGE.urlTitle}`)).text()).toContain(BACKPAGE.title);
    const listed = await app.request(`/request/${THREAD.urlTitle}`);
    expect(listed.status).toBe(200);
    expect(listed.headers.get('x-robots-tag')).toBeNull();
  });

  it("keeps its attachments off search engines too: page, JSON, text and download, as a listed request's are not", async () => {
    const routes = (id: number) => [`/attachment/${id}`, `/api/attachment/${id}`, `/api/attachment/${id}/text`, `/attachment/${id}/download`];
    for (const path of routes(backpageAttachmentId)) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('x-robots-tag'), path).toBe('noindex');
    }
    for (const path of routes(seeded.pdf.attachmentId)) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('x-robots-tag'), path).toBeNull();
    }
  });

  it('is in no search, facet, authority page or export', async () => {
    const api = (await (await app.request('/api/search?q=gritting')).json()) as { total: number; hits: unknown[] };
    expect(api).toMatchObject({ total: 0, hits: [] });
    expect(await (await app.request('/search?q=gritting')).text()).not.toContain(BACKPAGE.title);
    const everything = (await (await app.request('/api/search')).json()) as { hits: { urlTitle: string }[] };
    expect(everything.hits.map((hit) => hit.urlTitle)).toContain(THREAD.urlTitle);
    expect(everything.hits.map((hit) => hit.urlTitle)).not.toContain(BACKPAGE.urlTitle);
    expect(await (await app.request(`/authority/${THREAD.authority.urlName}`)).text()).not.toContain(BACKPAGE.title);
    expect(await (await app.request('/export.jsonl')).text()).not.toContain(BACKPAGE.urlTitle);
  });
});
