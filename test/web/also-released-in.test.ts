import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive, AttachmentInput } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { COPY_HOLDERS, seedCopies, threadOf, type CopyHolder } from '../helpers/copies.js';
import { seedArchive, type Seeded } from './fixture.js';

// A circular an authority sent to every requester in one reply: more copies than a page lists.
const CIRCULAR = { remoteId: 6200, urlTitle: 'grit_bin_circular', title: 'Grit bin circular', authority: COPY_HOLDERS.camden.authority, day: '2024-08-01' };
const CIRCULAR_COPIES = 102;
const WITHHELD: CopyHolder[] = ['hidden', 'removed', 'backpage', 'hiddenMessage'];

let archive: Archive;
let cleanup: () => Promise<void>;
let app: Hono;
let seeded: Seeded;
let ids: Awaited<ReturnType<typeof seedCopies>>;
let circularIds: number[];

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive);
  ids = await seedCopies(archive, seeded.siteId);
  const circular = await archive.putBlob(Buffer.from('Grit bins are refilled in November.'), { contentType: 'text/plain' });
  const parts: AttachmentInput[] = Array.from({ length: CIRCULAR_COPIES }, (_, i) => ({
    remoteId: i + 1,
    part: i + 1,
    filename: `circular ${i + 1}.txt`,
    contentType: 'text/plain',
    hidden: false,
    content: { sha256: circular.sha256, size: circular.size, fetchedAt: new Date('2024-08-02T10:00:00Z') },
  }));
  await archive.reconcileRequest(seeded.siteId, threadOf(CIRCULAR, parts), {});
  circularIds = (await archive.getRequest(CIRCULAR.urlTitle))!.attachments.map((a) => a.id);
  app = createApp(archive);
});
afterAll(async () => cleanup());

const get = (path: string) => app.request(path);

interface CopyJson {
  id: number;
  filename: string | null;
  messageTime: string | null;
  request: { id: number; remoteId: number; urlTitle: string; title: string; authority: { urlName: string; name: string } };
}
interface AttachmentJson {
  id: number;
  alsoReleasedIn: CopyJson[];
  alsoReleasedInMore: number;
}

/** Nothing in a response names a copy the site withholds: not its page, its request, nor its title. */
function expectNoWithheldCopy(body: string, where: string): void {
  for (const holder of WITHHELD) {
    expect(body, `${where}: ${holder}`).not.toContain(`/attachment/${ids[holder]}"`);
    expect(body, `${where}: ${holder}`).not.toContain(COPY_HOLDERS[holder].urlTitle);
    expect(body, `${where}: ${holder}`).not.toContain(COPY_HOLDERS[holder].title);
  }
}

describe('"Also released in" on an attachment page', () => {
  it('lists the public copy in another request to another authority, linked, with the authority and date', async () => {
    const res = await get(`/attachment/${ids.camden}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Also released in');
    expect(body).toContain(`href="/attachment/${ids.islington}"`);
    expect(body).toContain(`href="/request/${COPY_HOLDERS.islington.urlTitle}"`);
    expect(body).toContain(COPY_HOLDERS.islington.title);
    expect(body).toContain(`href="/authority/${COPY_HOLDERS.islington.authority.urlName}"`);
    expect(body).toContain('2024-06-01');
  });

  it('leaves out the copies the site hid, removed, or keeps off its listings, and says nothing of them', async () => {
    const body = await (await get(`/attachment/${ids.camden}`)).text();
    expectNoWithheldCopy(body, 'page');
    expect(body).not.toMatch(/more\./);
  });

  it('lists the copies earliest first, whatever order they were archived in', async () => {
    expect(ids.islington).toBeLessThan(ids.camden);
    // A backpage request's attachment is public by its link: its page lists where else the file is public.
    const body = await (await get(`/attachment/${ids.backpage}`)).text();
    const camden = body.indexOf(`href="/attachment/${ids.camden}"`);
    const islington = body.indexOf(`href="/attachment/${ids.islington}"`);
    expect(camden).toBeGreaterThan(-1);
    expect(islington).toBeGreaterThan(camden);
  });

  it('is not there for a document released once', async () => {
    for (const id of [ids.unshared, seeded.pdf.attachmentId]) {
      const res = await get(`/attachment/${id}`);
      expect(res.status).toBe(200);
      expect(await res.text()).not.toContain('Also released in');
    }
  });

  it('names the first 100 copies of a document released more often, and counts the rest', async () => {
    const body = await (await get(`/attachment/${circularIds[0]}`)).text();
    expect(body).toContain(`href="/attachment/${circularIds[100]}"`);
    expect(body).not.toContain(`href="/attachment/${circularIds[101]}"`);
    expect(body).toContain('And 1 more.');
  });
});

describe("a request page's attachments", () => {
  const allAttachments = async (urlTitle: string) => {
    const body = await (await get(`/request/${urlTitle}`)).text();
    return body.slice(body.indexOf('<h2>All attachments</h2>'), body.indexOf('<h2>What changed</h2>'));
  };

  it('count the other public copies of each, linked to where the attachment page lists them', async () => {
    const table = await allAttachments(COPY_HOLDERS.camden.urlTitle);
    expect(table).toContain('<th>Also released</th>');
    expect(table).toContain(`<td><a href="/attachment/${ids.camden}#also-released-in">1 other copy</a></td>`);
    // The unshared document: a dash, no link.
    const unshared = table.slice(table.indexOf(`/attachment/${ids.unshared}"`));
    expect(unshared).toMatch(/<td>—<\/td>\s*<\/tr>/);
    expect(unshared).not.toContain('#also-released-in');
  });

  it('count a document sent more often than a page lists, and never a withheld copy', async () => {
    expect(await allAttachments(CIRCULAR.urlTitle)).toContain(`<a href="/attachment/${circularIds[0]}#also-released-in">101 other copies</a>`);
    // Islington's copy: Camden's is the one public other copy; the four withheld ones are not counted.
    expect(await allAttachments(COPY_HOLDERS.islington.urlTitle)).toContain(`<a href="/attachment/${ids.islington}#also-released-in">1 other copy</a>`);
  });
});

describe('alsoReleasedIn in the API', () => {
  it('gives the public copy only, with its request and authority', async () => {
    const res = await get(`/api/attachment/${ids.camden}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expectNoWithheldCopy(text, 'API');
    const body = JSON.parse(text) as AttachmentJson;
    expect(body.alsoReleasedIn).toEqual([
      {
        id: ids.islington,
        filename: 'islington gritting policy.txt',
        messageTime: '2024-06-01T09:00:00.000Z',
        request: {
          id: expect.any(Number),
          remoteId: COPY_HOLDERS.islington.remoteId,
          urlTitle: COPY_HOLDERS.islington.urlTitle,
          title: COPY_HOLDERS.islington.title,
          authority: COPY_HOLDERS.islington.authority,
        },
      },
    ]);
    expect(body.alsoReleasedInMore).toBe(0);
  });

  it('by sha256, answers with the first public copy and lists the other', async () => {
    const body = (await (await get(`/api/attachment/${ids.sha256}`)).json()) as AttachmentJson;
    expect(body.id).toBe(ids.islington);
    expect(body.alsoReleasedIn.map((copy) => copy.id)).toEqual([ids.camden]);
  });

  it('by sha256, answers with a listed copy before a backpage one stored earlier', async () => {
    const leaflet = await archive.putBlob(Buffer.from('Snow clearance leaflet, winter 2024.'), { contentType: 'text/plain' });
    const part: AttachmentInput = {
      remoteId: 2,
      part: 2,
      filename: 'snow leaflet.txt',
      contentType: 'text/plain',
      hidden: false,
      content: { sha256: leaflet.sha256, size: leaflet.size, fetchedAt: new Date('2024-09-02T10:00:00Z') },
    };
    const authority = COPY_HOLDERS.camden.authority;
    const unlisted = { remoteId: 6301, urlTitle: 'snow_leaflet_unlisted', title: 'Snow leaflet, kept off the listings', authority, day: '2024-09-01' };
    const listed = { remoteId: 6302, urlTitle: 'snow_leaflet_listed', title: 'Snow leaflet', authority, day: '2024-09-01' };
    await archive.reconcileRequest(seeded.siteId, threadOf(unlisted, [part], { prominence: 'backpage' }), {});
    await archive.reconcileRequest(seeded.siteId, threadOf(listed, [part]), {});
    const listedId = (await archive.getRequest(listed.urlTitle))!.attachments[0]!.id;

    const res = await get(`/api/attachment/${leaflet.sha256}`);
    expect(((await res.json()) as AttachmentJson).id).toBe(listedId);
    expect(res.headers.get('x-robots-tag')).toBeNull();
  });

  it('is empty for a document released once', async () => {
    const body = (await (await get(`/api/attachment/${ids.unshared}`)).json()) as AttachmentJson;
    expect(body).toMatchObject({ alsoReleasedIn: [], alsoReleasedInMore: 0 });
  });

  it('gives at most 100 copies and counts the rest', async () => {
    const body = (await (await get(`/api/attachment/${circularIds[0]}`)).json()) as AttachmentJson;
    expect(body.alsoReleasedIn).toHaveLength(100);
    expect(body.alsoReleasedIn.map((copy) => copy.id)).toEqual(circularIds.slice(1, 101));
    expect(body.alsoReleasedInMore).toBe(1);
  });

  it('is described in the OpenAPI document, field by field', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const described = doc.paths['/api/attachment/{idOrSha256}']!.get.responses['200']!.content['application/json']!.schema.properties;
    expect(Object.keys(described)).toEqual(expect.arrayContaining(['alsoReleasedIn', 'alsoReleasedInMore']));
    const body = (await (await get(`/api/attachment/${ids.camden}`)).json()) as AttachmentJson;
    const copy = body.alsoReleasedIn[0]!;
    expect(Object.keys(doc.components.schemas['AttachmentCopy']!.properties).sort()).toEqual(Object.keys(copy).sort());
    expect(Object.keys((doc.components.schemas['AttachmentCopy']!.properties['request'] as { properties: object }).properties).sort()).toEqual(
      Object.keys(copy.request).sort(),
    );
  });
});
