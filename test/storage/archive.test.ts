import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterEach, describe, expect, test } from 'vitest';
import { BlobMissingError, FileBlobStore, isStorageUnavailable, localWorkerId, openArchive, OriginalsInUseError, schema, storageKey, type Archive } from '../../storage/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { migrationsFolder } from '../../migrations/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { SITE, storeDoc, thread } from './fixtures.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});
async function open(opts?: { migrate?: boolean; searchExactLimit?: number }): Promise<Archive> {
  current = await openTestArchive(opts);
  return current.archive;
}
async function count(archive: Archive, table: string): Promise<number> {
  const result = (await archive.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: number }[] };
  return Number(result.rows[0]!.n);
}

describe('migrations', () => {
  test('apply to an empty database, and re-running them changes nothing', async () => {
    const archive = await open({ migrate: false });
    await expect(count(archive, 'requests')).rejects.toThrow();
    await archive.migrate();
    const applied = await count(archive, 'drizzle.__drizzle_migrations');
    expect(applied).toBeGreaterThanOrEqual(2);
    await archive.migrate();
    expect(await count(archive, 'drizzle.__drizzle_migrations')).toBe(applied);
    const result = (await archive.db.execute(
      sql`select extname from pg_extension where extname = 'pg_trgm'`,
    )) as unknown as { rows: unknown[] };
    expect(result.rows).toHaveLength(1);
    for (const table of ['sites', 'authorities', 'users', 'requests', 'request_history', 'events', 'attachments', 'blobs',
      'captures', 'document_pages', 'runs', 'frontier', 'jobs']) {
      expect(await count(archive, table)).toBe(0);
    }
  });

  // docker compose starts the archiver and the web service together on a new database, and each migrates as it opens.
  // Embedded, an archive directory has one process at a time.
  test.skipIf(!process.env['DATABASE_URL'])('processes opening a new server database at once migrate it one after another, and all open', async () => {
    const empty = await open({ migrate: false });
    const opened = await Promise.allSettled([1, 2, 3].map(() => openArchive(empty.config)));
    for (const result of opened) if (result.status === 'fulfilled') await result.value.close();
    expect(opened.map((result) => (result.status === 'rejected' ? String(result.reason) : 'opened'))).toEqual(['opened', 'opened', 'opened']);
    expect(await count(empty, 'runs')).toBe(0);
  });

  test('an archive from before search_pages was partitioned keeps its document hits through the upgrade', async () => {
    const archive = await open({ migrate: false });
    await migrateUpTo(archive, 'search_pages_by_status');
    const siteId = await archive.ensureSite(SITE);
    const report = await storeDoc(archive, 'council budget');
    const input = thread({ status: 'successful' });
    input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'budget.pdf', hidden: false,
      content: { sha256: report.sha256, size: report.size, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, input, {});
    const [job] = await archive.jobs.claim('test', 1);
    await archive.jobs.complete(job!.id, { type: 'pdf', pageCount: 2, needsOcr: false, warnings: [], metadata: {},
      pages: [{ number: 1, text: 'Contents.' }, { number: 2, text: 'The refuse collection budget for the coming year.' }] });
    const hits = async (status: string) =>
      (await archive.search({ text: 'refuse budget', status })).hits.flatMap((hit) => (hit.attachment ? [hit.attachment.page] : []));
    const searchPagesKind = async () => {
      const result = (await archive.db.execute(sql`select relkind from pg_class where relname = 'search_pages'`)) as unknown as { rows: { relkind: string }[] };
      return result.rows[0]!.relkind;
    };
    // Searching needs the migrations this code expects (the search configuration of accent_folding): rows, not hits.
    expect(await count(archive, 'search_pages')).toBe(2);
    expect(await searchPagesKind()).toBe('r');

    await archive.migrate();
    expect(await searchPagesKind()).toBe('p');
    expect(await count(archive, 'search_pages')).toBe(2);
    expect(await hits('successful')).toEqual([2]);
    await archive.reconcileRequest(siteId, { ...input, status: 'not_held' }, {});
    expect(await hits('successful')).toEqual([]);
    expect(await hits('not_held')).toEqual([2]);
  });
});

describe('exemptions cited', () => {
  test('an archive from before exemptions were read finds those its messages and documents already cite once upgraded', async () => {
    const archive = await open({ migrate: false });
    await migrateUpTo(archive, 'exemptions');
    const siteId = await archive.ensureSite(SITE);
    const letter = await storeDoc(archive, 'refusal letter');
    const input = thread({ remoteId: 9, urlTitle: 'consultant_fees' });
    input.events[1]!.text = 'The fees are withheld under section 43(2) of the Act.';
    input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'letter.pdf', hidden: false,
      content: { sha256: letter.sha256, size: letter.size, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, input, {});
    const [job] = await archive.jobs.claim('test', 1);
    await archive.jobs.complete(job!.id, { type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {},
      pages: [{ number: 1, text: 'Consultants are named under section 40(2) of the Act.' }] });

    await archive.migrate();
    const request = (await archive.getRequest('consultant_fees'))!;
    expect(request.events.map((e) => e.exemptions)).toEqual([null, ['FOIA s43']]);
    expect(request.attachments[0]!.exemptions).toEqual([{ code: 'FOIA s40', pages: [1] }]);
    expect((await archive.search({ exemption: 'FOIA s40' })).hits.map((hit) => hit.urlTitle)).toEqual(['consultant_fees']);
  });
});

describe('how promptly requests were answered', () => {
  test('an archive from before the dates were read tallies the requests it already holds once upgraded', async () => {
    const archive = await open({ migrate: false });
    await migrateUpTo(archive, 'exemptions');
    const siteId = await archive.ensureSite(SITE);
    const raw = { info_request_events: [
      { id: 1, event_type: 'sent', created_at: '2024-03-20T10:00:00.000+00:00' },
      { id: 2, event_type: 'response', created_at: '2024-04-22T09:00:00.000+01:00' },
    ] };
    await archive.reconcileRequest(siteId, thread({ remoteId: 9, urlTitle: 'consultant_fees', raw }), {});

    await archive.migrate();
    expect((await archive.getRequest('consultant_fees'))!.timeliness).toMatchObject({ dueOn: '2024-04-19', responseWorkingDays: 21 });
    expect(await archive.timelinessTally()).toMatchObject({ requests: 1, late: 1 });
  });
});

describe('accents in search', () => {
  test('an archive from before accent folding finds Ynys Môn as Ynys Mon once upgraded, in threads and documents', async () => {
    const archive = await open({ migrate: false });
    await migrateUpTo(archive, 'accent_folding');
    const siteId = await archive.ensureSite(SITE);
    const letter = await storeDoc(archive, 'ynys mon letter');
    const input = thread({ remoteId: 7, urlTitle: 'ynys_mon_ferries', title: 'Ferry timetables for Ynys Môn' });
    input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'letter.pdf', hidden: false,
      content: { sha256: letter.sha256, size: letter.size, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, input, {});
    const [job] = await archive.jobs.claim('test', 1);
    await archive.jobs.complete(job!.id, { type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {},
      pages: [{ number: 1, text: 'The council café at the Holyhead terminal is run by Zoë Jones.' }] });
    const found = async (text: string) =>
      (await archive.search({ text })).hits.map((hit) => (hit.attachment ? `page ${hit.attachment.page}: ${hit.snippet}` : `thread: ${hit.snippet}`));

    // Stored under the earlier configuration: the upgrade indexes it again.
    await archive.migrate();
    expect(await found('Ynys Mon')).toEqual([expect.stringMatching(/^thread: Ferry timetables for <mark>Ynys<\/mark> <mark>Môn<\/mark>\n/)]);
    expect(await found('cafe zoe')).toEqual([expect.stringMatching(/^page 1: .*<mark>café<\/mark>.*<mark>Zoë<\/mark>/)]);
    // Accented queries still find what they name, and a thread written after the upgrade is folded as it is stored.
    expect(await found('Môn ferry')).toHaveLength(1);
    await archive.reconcileRequest(siteId, thread({ remoteId: 8, urlTitle: 'pont_menai', title: 'Maintenance of Pont Menai, Porthaethwy (Ynys Môn)' }), {});
    expect((await archive.search({ text: 'ynys mon' })).hits.map((hit) => hit.urlTitle).sort()).toEqual(['pont_menai', 'ynys_mon_ferries']);
  });
});

describe('requests the site keeps off its listings (backpage)', () => {
  test('are left out of search, threads and documents, from an upgraded archive and as the site demotes one, unless asked for', async () => {
    const archive = await open({ migrate: false });
    await migrateUpTo(archive, 'search_pages_unlisted');
    const siteId = await archive.ensureSite(SITE);
    const withLetter = async (remoteId: number, urlTitle: string, prominence: string, page: string) => {
      const letter = await storeDoc(archive, `${urlTitle} letter`);
      const input = { ...thread({ remoteId, urlTitle, title: `Gritting routes: ${urlTitle}` }), prominence };
      input.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'routes.pdf', hidden: false,
        content: { sha256: letter.sha256, size: letter.size, fetchedAt: new Date() } });
      await archive.reconcileRequest(siteId, input, {});
      const [job] = await archive.jobs.claim('test', 1);
      await archive.jobs.complete(job!.id, { type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {}, pages: [{ number: 1, text: page }] });
      return input;
    };
    const leeds = await withLetter(21, 'leeds', 'normal', 'Salt is spread on priority routes in Leeds.');
    await withLetter(22, 'bradford', 'backpage', 'Salt is spread on priority routes in Bradford by Mr Sam Roe of 4 Mill Lane.');
    await archive.migrate();

    const found = async (text: string, options: { includeUnlisted?: boolean } = {}) =>
      (await archive.search({ text, ...options })).hits.map((hit) => `${hit.urlTitle} ${hit.attachment ? 'page' : 'thread'}`).sort();
    const exported = async (options: { includeUnlisted?: boolean } = {}) => {
      const slugs = new Set<string>();
      for await (const row of archive.exportRows({ text: 'gritting', ...options })) if (row.kind === 'request') slugs.add(row.urlTitle);
      return [...slugs].sort();
    };
    expect(await found('gritting')).toEqual(['leeds thread']);
    expect(await found('salt')).toEqual(['leeds page']);
    expect(await found('mill lane')).toEqual([]);
    expect(await exported()).toEqual(['leeds']);
    expect((await archive.search({ text: 'salt' })).facets.authority?.map((facet) => facet.count)).toEqual([1]);
    expect(await found('salt', { includeUnlisted: true })).toEqual(['bradford page', 'leeds page']);
    expect(await exported({ includeUnlisted: true })).toEqual(['bradford', 'leeds']);
    // Still a request of the archive's, shown by its name.
    expect((await archive.getRequest('bradford'))?.prominence).toBe('backpage');

    // The site demotes Leeds, then lists it again.
    const again = (prominence: string) => archive.reconcileRequest(siteId, { ...leeds, prominence }, {});
    await again('backpage');
    expect(await found('gritting')).toEqual([]);
    expect(await found('salt')).toEqual([]);
    await again('normal');
    expect(await found('salt')).toEqual(['leeds page']);
  });
});

/** Applies the migrations before the one tagged `<nnnn>_<name>`, as an archive made by an earlier release has them. */
async function migrateUpTo(archive: Archive, name: string): Promise<void> {
  const folder = await mkdtemp(path.join(tmpdir(), 'wdtk-migrations-'));
  try {
    const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
    const stop = journal.entries.findIndex((entry) => entry.tag.endsWith(`_${name}`));
    expect(stop).toBeGreaterThan(0);
    const entries = journal.entries.slice(0, stop);
    await mkdir(path.join(folder, 'meta'));
    await writeFile(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
    for (const entry of entries) await copyFile(path.join(migrationsFolder, `${entry.tag}.sql`), path.join(folder, `${entry.tag}.sql`));
    if (archive.mode.db === 'pglite') await migratePglite(archive.db as unknown as PgliteDatabase, { migrationsFolder: folder });
    else await migratePg(archive.db as unknown as NodePgDatabase, { migrationsFolder: folder });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('blobs and rows', () => {
  test('the same content under two names is one blob row and one object', async () => {
    const archive = await open();
    const bytes = randomBytes(5000);
    const first = await archive.putBlob(bytes, { contentType: 'application/octet-stream' });
    const file = path.join(archive.config.archiveDir, 'other-name.bin');
    await writeFile(file, bytes);
    const second = await archive.putBlob({ path: file });
    expect(first.created).toBe(true);
    expect(second).toEqual({ sha256: first.sha256, size: 5000, created: false });
    expect(await count(archive, 'blobs')).toBe(1);
    const listed: string[] = [];
    for await (const sha of archive.blobs.list()) listed.push(sha);
    expect(listed).toEqual([first.sha256]);
  });

  test('an attachment whose blob was never stored is refused and the whole thread is left unwritten', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    const input = thread();
    input.events[1]!.attachments.push({
      remoteId: 900, part: 2, filename: 'contract.pdf', hidden: false,
      content: { sha256: 'a'.repeat(64), size: 10, fetchedAt: new Date() },
    });
    await expect(archive.reconcileRequest(siteId, input, {})).rejects.toBeInstanceOf(BlobMissingError);
    for (const table of ['requests', 'events', 'attachments', 'authorities', 'users', 'jobs']) expect(await count(archive, table)).toBe(0);
    await expect(
      archive.recordCapture({ siteId, url: `${SITE}/x`, fetchedAt: new Date(), status: 200, requestHeaders: {}, responseHeaders: {},
        sha256: 'b'.repeat(64), size: 1, kind: 'page' }),
    ).rejects.toBeInstanceOf(BlobMissingError);
    expect(await count(archive, 'captures')).toBe(0);
  });

  test('a failure midway through a transaction leaves no rows', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    await expect(
      archive.db.transaction(async (tx) => {
        await tx.insert(schema.authorities).values({ siteId, urlName: 'x', name: 'X' });
        throw new Error('crash between writes');
      }),
    ).rejects.toThrow('crash between writes');
    expect(await count(archive, 'authorities')).toBe(0);
  });
});

describe('reconcile', () => {
  test("keeps a withheld attachment apart from a sibling whose part number is the withheld one's id", async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    const input = thread();
    // A small site's ids: the withheld attachment (no link, so no part) has id 2, and its sibling is part 2.
    input.events[1]!.attachments.push(
      { remoteId: 17, part: 2, filename: 'contract.pdf', hidden: false },
      { remoteId: 2, filename: 'names.xlsx', hidden: true },
    );
    await archive.reconcileRequest(siteId, input, {});
    await archive.reconcileRequest(siteId, input, {});
    const stored = (await archive.getRequest(input.urlTitle))!.attachments;
    expect(stored.map((a) => [a.filename, a.hidden, a.removedAt])).toEqual([['names.xlsx', true, null], ['contract.pdf', false, null]]);
  });

  test('writes only what is new', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    const doc = await storeDoc(archive, 'contract text');
    const input = thread();
    input.events[1]!.attachments.push({ remoteId: 900, part: 2, filename: 'contract.pdf', contentType: 'application/pdf', hidden: false });

    const first = await archive.reconcileRequest(siteId, input, {});
    expect(first).toMatchObject({ created: true, changed: true, newEvents: 2, newAttachments: 1, statusChanged: false, renamed: false });
    expect(await archive.heldAttachments(siteId, 101)).toEqual(new Set());

    const again = await archive.reconcileRequest(siteId, thread({ events: input.events }), {});
    expect(again).toMatchObject({ created: false, changed: false, newEvents: 0, newAttachments: 0 });
    expect(await count(archive, 'events')).toBe(2);
    expect(await count(archive, 'attachments')).toBe(1);

    // the attachment's bytes arrive in a later run: the row is filled, an extraction job queued
    const withContent = structuredClone(input);
    withContent.events[1]!.attachments[0]!.content = { sha256: doc.sha256, size: doc.size, fetchedAt: new Date() };
    const filled = await archive.reconcileRequest(siteId, withContent, {});
    expect(filled).toMatchObject({ changed: true, newAttachments: 0 });
    expect(await archive.heldAttachments(siteId, 101)).toEqual(new Set(['21:2']));
    expect(await archive.jobs.pending()).toBe(1);

    const followUp = structuredClone(withContent);
    followUp.events.push({ kind: 'outgoing', messageId: 12, time: new Date('2023-04-01T10:00:00Z'), hidden: false, text: 'Thank you.', attachments: [] });
    followUp.remoteEventIds = [1, 2, 3];
    followUp.status = 'partially_successful';
    followUp.urlTitle = 'bin_collection_contracts_2';
    const later = await archive.reconcileRequest(siteId, followUp, { runId: await archive.runs.start({ siteId }) });
    expect(later).toMatchObject({ changed: true, newEvents: 1, newAttachments: 0, statusChanged: true, renamed: true });
    expect(await count(archive, 'events')).toBe(3);

    const detail = await archive.getRequest('bin_collection_contracts');
    expect(detail?.urlTitle).toBe('bin_collection_contracts_2');
    expect(detail?.history.map((h) => [h.change, h.from, h.to])).toEqual([
      ['renamed', 'bin_collection_contracts', 'bin_collection_contracts_2'],
      ['status', 'successful', 'partially_successful'],
    ]);
    expect(detail?.events.map((e) => e.messageId)).toEqual([11, 21, 12]);
    expect(detail?.events[1]?.attachments[0]).toMatchObject({ filename: 'contract.pdf', sha256: doc.sha256, type: 'pdf' });
    expect(await archive.findRequestByUrlTitle(siteId, 'bin_collection_contracts')).toEqual({ requestId: detail!.id, remoteId: 101 });
    const state = await archive.getRequestState(siteId, 101);
    expect(state).toMatchObject({ urlTitle: 'bin_collection_contracts_2', remoteEventIds: [1, 2, 3], removedAt: null });
  });

  test("a thread's authority and requester are written when new or changed, not again for each of their threads", async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    // xmin names the transaction that wrote a row's current version: it moves only when the row is written.
    const stored = async () => ({
      authorities: await archive.db
        .select({ version: sql<string>`xmin::text`, name: schema.authorities.name, seenAt: schema.authorities.lastSeenAt })
        .from(schema.authorities),
      users: await archive.db.select({ version: sql<string>`xmin::text`, name: schema.users.name }).from(schema.users).orderBy(schema.users.id),
    });
    await archive.reconcileRequest(siteId, thread(), {});
    const first = await stored();
    expect(first.authorities.map((a) => a.name)).toEqual(['Leeds City Council']);
    expect(first.users.map((u) => u.name)).toEqual(['Alice Smith']);

    // Every thread takes an ON CONFLICT DO UPDATE's row lock until its transaction ends: not written, nothing held.
    await archive.reconcileRequest(siteId, thread({ remoteId: 102, urlTitle: 'street_lighting' }), {});
    expect(await stored()).toEqual(first);

    await archive.reconcileRequest(siteId, thread({ remoteId: 103, urlTitle: 'parks', authority: { remoteId: 7, urlName: 'leeds_city_council', name: 'Leeds CC' } }), {});
    const renamed = await stored();
    expect(renamed.authorities.map((a) => a.name)).toEqual(['Leeds CC']);
    expect(renamed.authorities[0]!.version).not.toBe(first.authorities[0]!.version);
    expect(renamed.users).toEqual(first.users);

    // last_seen_at is kept to within the hour.
    await archive.db.update(schema.authorities).set({ lastSeenAt: sql`now() - interval '2 hours'` });
    const staleAt = (await stored()).authorities[0]!.seenAt;
    await archive.reconcileRequest(siteId, thread({ remoteId: 104, urlTitle: 'libraries', authority: { remoteId: 7, urlName: 'leeds_city_council', name: 'Leeds CC' } }), {});
    expect((await stored()).authorities[0]!.seenAt.getTime()).toBeGreaterThan(staleAt.getTime() + 60 * 60_000);

    const requester = { remoteId: 3, urlName: 'alice_smith', name: 'A. Smith' };
    await archive.reconcileRequest(siteId, thread({ remoteId: 105, urlTitle: 'roads', authority: { urlName: 'leeds_city_council', name: 'Leeds CC' }, requester }), {});
    await archive.reconcileRequest(siteId, thread({ remoteId: 106, urlTitle: 'bridges', requester: { urlName: 'bob_jones', name: 'Bob Jones' } }), {});
    const last = await stored();
    expect(last.users.map((u) => u.name)).toEqual(['A. Smith', 'Bob Jones']);
    expect(last.authorities.map((a) => a.name)).toEqual(['Leeds City Council']);
    expect(await archive.getRequest('roads')).toMatchObject({ requester: { name: 'A. Smith' } });
  });

  test('removed requests leave search and public reads, stay for the operator, and come back when they reappear', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    await archive.reconcileRequest(siteId, thread(), {});
    expect((await archive.search({ text: 'refuse collection' })).total).toBe(1);

    expect(await archive.markRemoved(siteId, 101, 'gone: 410', { status: 410 })).toBe(true);
    expect(await archive.markRemoved(siteId, 101, 'gone: 410', { status: 410 })).toBe(false);
    expect((await archive.search({ text: 'refuse collection' })).total).toBe(0);
    expect((await archive.search({})).total).toBe(0);
    expect(await archive.getRequest('101')).toBeNull();
    expect(await archive.getRequest('2147483648', { includeRemoved: true })).toBeNull();
    const kept = await archive.getRequest('101', { includeRemoved: true });
    expect(kept).toMatchObject({ removalReason: 'gone: 410' });
    expect(kept?.removedAt).toBeInstanceOf(Date);
    expect((await archive.search({ text: 'refuse collection', includeRemoved: true })).total).toBe(1);

    const back = await archive.reconcileRequest(siteId, thread(), {});
    expect(back.changed).toBe(true);
    expect((await archive.getRequest('101'))?.history.map((h) => h.change)).toEqual(['removed', 'restored']);
  });

  test('a slug two requests hold names the current one: not removed, then the newer', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    // 101 was renamed on the site and removed before the archive saw the rename; 102 took its old slug.
    await archive.reconcileRequest(siteId, thread({ remoteId: 102 }), {});
    await archive.reconcileRequest(siteId, thread(), {});
    await archive.markRemoved(siteId, 101, 'gone: 404', { status: 404 });
    expect((await archive.getRequest('bin_collection_contracts'))?.remoteId).toBe(102);
    expect(await archive.findRequestByUrlTitle(siteId, 'bin_collection_contracts')).toMatchObject({ remoteId: 102 });

    await archive.reconcileRequest(siteId, thread({ remoteId: 103 }), {});
    expect((await archive.getRequest('bin_collection_contracts'))?.remoteId).toBe(103);
  });
});

describe('search past the exact limit', () => {
  // Five matching requests inserted oldest first (the newest lie past the first matches read) and one other.
  async function fivePotholeThreads(archive: Archive) {
    const siteId = await archive.ensureSite(SITE);
    for (let i = 1; i <= 5; i++) {
      await archive.reconcileRequest(siteId, thread({
        remoteId: i, urlTitle: `pothole_${i}`, title: i === 4 ? 'Pothole pothole pothole repairs' : `Pothole repairs ${i}`,
        status: i % 2 ? 'successful' : 'refused', remoteCreatedAt: new Date(`202${i}-01-01T00:00:00Z`),
      }), {});
    }
    await archive.reconcileRequest(siteId, thread({ remoteId: 6, urlTitle: 'bins', title: 'Bin collection' }), {});
  }

  test('reports a lower bound, facets over the matches seen, and exact date order', async () => {
    const archive = await open({ searchExactLimit: 3 });
    await fivePotholeThreads(archive);

    const ranked = await archive.search({ text: 'pothole' });
    expect(ranked).toMatchObject({ total: 3, totalIsEstimate: true });
    expect(ranked.hits).toHaveLength(3);
    expect(ranked.hits.map((h) => h.rank)).toEqual([...ranked.hits.map((h) => h.rank)].sort((a, b) => b - a));
    expect(ranked.facets.status.reduce((sum, f) => sum + f.count, 0)).toBe(3);

    const newest = await archive.search({ text: 'pothole', sort: 'date', limit: 2 });
    expect(newest.totalIsEstimate).toBe(true);
    expect(newest.hits.map((h) => h.urlTitle)).toEqual(['pothole_5', 'pothole_4']);
    const next = await archive.search({ text: 'pothole', sort: 'date', limit: 2, offset: 2 });
    expect(next.hits.map((h) => h.urlTitle)).toEqual(['pothole_3', 'pothole_2']);

    const listed = await archive.search({ limit: 1 });
    expect(listed).toMatchObject({ total: 3, totalIsEstimate: true });
    expect(listed.hits.map((h) => h.urlTitle)).toEqual(['pothole_5']);

    expect(await archive.search({ text: 'pothole', status: 'refused' })).toMatchObject({ total: 2, totalIsEstimate: false });
  });

  test('under the limit every match is counted and ranked', async () => {
    const archive = await open({ searchExactLimit: 5 });
    await fivePotholeThreads(archive);
    const result = await archive.search({ text: 'pothole' });
    expect(result).toMatchObject({ total: 5, totalIsEstimate: false });
    expect(result.hits[0]?.urlTitle).toBe('pothole_4');
    expect(result.facets.status).toEqual([
      { key: 'successful', label: 'successful', count: 3 },
      { key: 'refused', label: 'refused', count: 2 },
    ]);
  });
});

describe('test archives', () => {
  test('each is empty, even after the previous one closed itself', async () => {
    const first = await open();
    await first.reconcileRequest(await first.ensureSite(SITE), thread(), {});
    await first.close();
    await current!.cleanup();
    const second = await open();
    expect(await count(second, 'requests')).toBe(0);
    const siteId = await second.ensureSite(SITE);
    expect(siteId).toBe(1);
    await second.reconcileRequest(siteId, thread(), {});
    expect((await second.search({ text: 'refuse collection' })).total).toBe(1);
  });
});

describe('purge and verify', () => {
  test('purge erases a request and its unshared blobs, keeping a blob another request uses', async () => {
    const archive = await open();
    const siteId = await archive.ensureSite(SITE);
    const shared = await storeDoc(archive, 'shared annual report');
    const own = await storeDoc(archive, 'only in request 101');
    const page = await archive.putBlob(Buffer.from('<html>thread 101</html>'));
    const captureId = await archive.recordCapture({
      siteId, url: `${SITE}/request/bin_collection_contracts?unfold=1`, fetchedAt: new Date(), status: 200,
      requestHeaders: { 'user-agent': 'wdtk-archive/test' }, responseHeaders: { 'content-type': 'text/html' },
      sha256: page.sha256, size: page.size, kind: 'page',
    });
    const attachmentCapture = await archive.recordCapture({
      siteId, url: `${SITE}/request/101/response/21/attach/2/own.pdf`, fetchedAt: new Date(), status: 200,
      requestHeaders: {}, responseHeaders: {}, sha256: own.sha256, size: own.size, kind: 'attachment',
    });
    const first = thread();
    first.events[1]!.attachments.push(
      { remoteId: 1, part: 2, filename: 'own.pdf', hidden: false, content: { sha256: own.sha256, size: own.size, fetchedAt: new Date(), captureId: attachmentCapture } },
      { remoteId: 2, part: 3, filename: 'report.pdf', hidden: false, content: { sha256: shared.sha256, size: shared.size, fetchedAt: new Date() } },
    );
    await archive.reconcileRequest(siteId, first, { captureId });
    const second = thread({ remoteId: 202, urlTitle: 'annual_report', title: 'Annual report' });
    second.events[1]!.attachments.push({ remoteId: 3, part: 2, filename: 'annual.pdf', hidden: false, content: { sha256: shared.sha256, size: shared.size, fetchedAt: new Date() } });
    await archive.reconcileRequest(siteId, second, {});
    const ownJob = (await archive.jobs.claim('w', 10)).find((j) => j.sha256 === own.sha256)!;
    await archive.jobs.complete(ownJob.id, { type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {}, pages: [{ number: 1, text: 'only in request 101' }] });

    expect(await archive.purge('bin_collection_contracts')).toEqual({ requests: 1, blobsDeleted: 2, blobsKept: 1 });

    expect(await archive.getRequest('101', { includeRemoved: true })).toBeNull();
    expect(await count(archive, 'captures')).toBe(0);
    expect(await count(archive, 'document_pages')).toBe(0);
    expect(await count(archive, 'events')).toBe(2);
    expect(await count(archive, 'attachments')).toBe(1);
    const remaining = (await archive.db.select({ sha256: schema.blobs.sha256 }).from(schema.blobs)).map((b) => b.sha256);
    expect(remaining).toEqual([shared.sha256]);
    expect(await archive.blobs.stat(own.sha256)).toBeNull();
    expect(await archive.blobs.stat(page.sha256)).toBeNull();
    expect(await archive.blobs.stat(shared.sha256)).not.toBeNull();
    // no orphan: every attachment/capture sha256 has its blob row
    const orphans = (await archive.db.execute(sql`
      select sha256 from attachments where sha256 is not null and sha256 not in (select sha256 from blobs)
      union all select sha256 from captures where sha256 is not null and sha256 not in (select sha256 from blobs)`)) as unknown as { rows: unknown[] };
    expect(orphans.rows).toEqual([]);
    expect((await archive.getRequest('annual_report'))?.attachments[0]?.sha256).toBe(shared.sha256);
  });

  test('verify re-hashes every blob and reports a changed and a missing object', async () => {
    const archive = await open();
    const good = await archive.putBlob(Buffer.from('untouched'));
    const changed = await archive.putBlob(Buffer.from('will be altered'));
    const missing = await archive.putBlob(Buffer.from('will be lost'));
    const tampered = Buffer.from('altered!');
    const store = archive.blobs;
    if (store instanceof FileBlobStore) await writeFile(path.join(store.root, ...storageKey(changed.sha256).split('/')), tampered);
    else if (store instanceof S3BlobStore) await store.client.putObject(store.bucket, storageKey(changed.sha256), tampered);
    await store.delete(missing.sha256);

    const progress: number[] = [];
    const report = await archive.verify({ onProgress: (n) => progress.push(n) });
    expect(report.checked).toBe(3);
    expect(report.ok).toBe(1);
    const actual = (await import('node:crypto')).createHash('sha256').update(tampered).digest('hex');
    expect(report.problems).toEqual(
      [
        { kind: 'missing', sha256: missing.sha256 },
        { kind: 'changed', sha256: changed.sha256, actual },
      ].sort((a, b) => a.sha256.localeCompare(b.sha256)),
    );
    expect(progress).toEqual([1, 2, 3]);
    const [row] = await archive.db.select().from(schema.blobs).where(sql`sha256 = ${good.sha256}`);
    expect(row?.verifiedAt).toBeInstanceOf(Date);
    expect(report.unindexed).toEqual([]);
  });

  test.skipIf(Boolean(process.env['S3_ENDPOINT']))('verify reports an unreadable original and goes on to check the rest', async () => {
    const archive = await open();
    const blocked = await archive.putBlob(Buffer.from('its file becomes a directory'));
    const after = await archive.putBlob(Buffer.from('checked all the same'));
    const file = path.join((archive.blobs as FileBlobStore).root, ...storageKey(blocked.sha256).split('/'));
    await rm(file);
    await mkdir(file);

    const report = await archive.verify();
    expect(report.checked).toBe(2);
    expect(report.ok).toBe(1);
    expect(report.problems).toEqual([{ kind: 'unreadable', sha256: blocked.sha256, reason: expect.stringMatching(/^EISDIR/) }]);
    const [row] = await archive.db.select().from(schema.blobs).where(sql`sha256 = ${after.sha256}`);
    expect(row?.verifiedAt).toBeInstanceOf(Date);
  });

  test('verify reports objects no row names, and removes them past the grace period, never beside a writer', async () => {
    // What a run killed between storing an original and indexing it leaves behind: the object without its row.
    const archive = await open();
    const indexed = await archive.putBlob(Buffer.from('kept with its row'));
    const left = await archive.blobs.put(Buffer.from('stored, then the run was killed'));

    const report = await archive.verify();
    expect(report).toMatchObject({ checked: 1, ok: 1, problems: [], unindexed: [left.sha256], removed: [] });
    expect(await archive.blobs.stat(left.sha256)).not.toBeNull();

    // Written a moment ago: inside the default 10 minutes, it may be a put whose row is on its way.
    expect((await archive.verify({ removeUnindexed: true })).removed).toEqual([]);
    expect(await archive.blobs.stat(left.sha256)).not.toBeNull();

    // A crawl or a snapshot holds the originals for writing: its next put may find this object and index it.
    const releaseWriter = (await archive.lockOriginals('write'))!;
    await expect(archive.verify({ removeUnindexed: true, unindexedGraceMs: 0 })).rejects.toBeInstanceOf(OriginalsInUseError);
    await releaseWriter();
    expect(await archive.blobs.stat(left.sha256)).not.toBeNull();

    const cleaned = await archive.verify({ removeUnindexed: true, unindexedGraceMs: 0 });
    expect(cleaned).toMatchObject({ checked: 1, ok: 1, unindexed: [left.sha256], removed: [left.sha256] });
    expect(await archive.blobs.stat(left.sha256)).toBeNull();
    expect(await archive.blobs.stat(indexed.sha256)).not.toBeNull();
    expect(await archive.verify()).toMatchObject({ unindexed: [], removed: [] });
  });
});

describe('queues', () => {
  test('two concurrent frontier claims never hand out the same item', async () => {
    const archive = await open();
    const runId = await archive.runs.start({ scope: 'test' });
    const items = Array.from({ length: 40 }, (_, i) => ({ kind: 'request' as const, key: `r${i}`, url: `${SITE}/request/${i}`, priority: i % 3 }));
    expect(await archive.frontier.add(runId, items)).toBe(40);
    expect(await archive.frontier.add(runId, items.slice(0, 5))).toBe(0);
    const [a, b] = await Promise.all([archive.frontier.claim(runId, 15), archive.frontier.claim(runId, 15)]);
    const ids = [...a!, ...b!].map((r) => r.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(a![0]!.priority).toBe(2);
    expect(await archive.frontier.pending(runId)).toBe(40);
    for (const row of a!) await archive.frontier.done([row.id]);
    await archive.frontier.retryLater(b![0]!.id, new Date(Date.now() + 60_000), '429');
    await archive.frontier.failed(b![1]!.id, 'parse error');
    expect(await archive.frontier.pending(runId)).toBe(40 - 15 - 1);
    const rest = await archive.frontier.claim(runId, 100);
    expect(rest).toHaveLength(10);
    expect(rest.map((r) => r.id)).not.toContain(b![0]!.id);
    expect((await archive.runs.unfinished()).map((run) => [run.id, run.itemsLeft])).toEqual([[runId, true]]);
    await archive.runs.finish(runId, 'ok', { fetched: 30 });
    expect(await archive.runs.unfinished()).toEqual([]);
    expect((await archive.runs.lastGood())?.counters).toEqual({ fetched: 30 });
  });

  test('two concurrent job claims never hand out the same job; a dead worker\'s job is reclaimed after the lease', async () => {
    const archive = await open();
    const shas: string[] = [];
    for (let i = 0; i < 12; i++) {
      const blob = await archive.putBlob(Buffer.from(`document ${i}`));
      await archive.jobs.enqueue(blob.sha256);
      shas.push(blob.sha256);
    }
    const [a, b] = await Promise.all([archive.jobs.claim('w1', 5), archive.jobs.claim('w2', 5)]);
    const ids = [...a!, ...b!].map((j) => j.id);
    expect(new Set(ids).size).toBe(10);
    expect(await archive.jobs.pending()).toBe(12);
    await archive.db.execute(sql`update jobs set claimed_at = now() - interval '1 hour' where id = ${a![0]!.id}`);
    const again = await archive.jobs.claim('w3', 10);
    expect(again).toHaveLength(3);
    expect(new Set(again.map((j) => j.sha256))).toEqual(new Set([a![0]!.sha256, ...shas.filter((sha) => ![...a!, ...b!].some((j) => j.sha256 === sha))]));
    expect(again.find((j) => j.id === a![0]!.id)?.attempts).toBe(2);
    await archive.jobs.fail(b![0]!.id, 'boom');
    expect((await archive.jobs.claim('w4', 10)).map((j) => j.id)).toEqual([b![0]!.id]);
  });

  test('a renewed job claim outlives the lease; one its worker stopped renewing, or on its last attempt, does not', async () => {
    const archive = await open();
    const held = await archive.putBlob(Buffer.from('a document still being extracted'));
    const lastTry = await archive.putBlob(Buffer.from('a document its worker died on, three times'));
    for (const blob of [held, lastTry]) await archive.jobs.enqueue(blob.sha256);
    const claimed = await archive.jobs.claim('w1', 2);
    expect(claimed.map((job) => job.sha256)).toEqual([held.sha256, lastTry.sha256]);
    const ranOut = async () => archive.db.execute(sql`update jobs set claimed_at = now() - interval '1 hour'`);

    await ranOut();
    await archive.jobs.renew('w1', [claimed[0]!.id]);
    await archive.db.execute(sql`update jobs set attempts = 3 where id = ${claimed[1]!.id}`);
    expect(await archive.jobs.claim('w2', 10)).toEqual([]);
    const [gaveUp] = await rowsOf<{ status: string; error: string; extraction_status: string }>(
      archive.db,
      sql`select j.status, j.error, b.extraction_status from jobs j join blobs b using (sha256) where j.id = ${claimed[1]!.id}`,
    );
    expect(gaveUp).toEqual({ status: 'failed', error: 'its worker stopped during the last attempt', extraction_status: 'failed' });

    // Only the worker that holds a claim renews it.
    await ranOut();
    await archive.jobs.renew('w9', [claimed[0]!.id]);
    expect(await archive.jobs.claim('w2', 10)).toEqual([{ id: claimed[0]!.id, sha256: held.sha256, attempts: 2 }]);
  });

  test('claims of this machine\'s processes that are gone are released at once; others wait for their lease', async () => {
    const archive = await open();
    const exited = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => exited.once('exit', () => resolve(exited.pid!)));
    const holders = [`${hostname()}:${deadPid}`, localWorkerId(), `another-machine:${deadPid}`];
    for (const [i, holder] of holders.entries()) {
      const blob = await archive.putBlob(Buffer.from(`document claimed by worker ${i}`));
      await archive.jobs.enqueue(blob.sha256);
      expect(await archive.jobs.claim(holder, 1)).toHaveLength(1);
    }
    await archive.jobs.releaseDeadLocalClaims();
    const jobs = await rowsOf<{ status: string; claimed_by: string | null }>(archive.db, sql`select status, claimed_by from jobs order by id`);
    expect(jobs).toEqual([
      { status: 'pending', claimed_by: null },
      { status: 'running', claimed_by: localWorkerId() },
      { status: 'running', claimed_by: `another-machine:${deadPid}` },
    ]);
  });

  // Embedded, the locks are counters in the process: no connection to listen to.
  test.skipIf(!process.env['DATABASE_URL'])('a lock taken and released again and again leaves no listener on the pooled connections', async () => {
    const archive = await open();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 15; i++) {
        const release = await archive.lockRuns(() => undefined);
        await release!();
      }
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  test('whether a crawl holds the run lock can be seen, from another process on a server', async () => {
    const archive = await open();
    // On a server, an archive of its own stands for another process: it has its own connections.
    const other = archive.mode.db === 'postgres' ? await openArchive(archive.config, { migrate: false }) : archive;
    try {
      expect(await other.runLockHeld()).toBe(false);
      const release = await archive.lockRuns();
      expect(await other.runLockHeld()).toBe(true);
      await release!();
      expect(await other.runLockHeld()).toBe(false);
    } finally {
      if (other !== archive) await other.close();
    }
  });

  // A database server restarted, or its backend ended by an operator, while a crawl's transaction holds a connection.
  test.skipIf(!process.env['DATABASE_URL'])('a transaction whose server connection ends fails as storage unavailable, and the archive goes on', async () => {
    const archive = await open();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const ended = archive.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
      });
      await expect(ended).rejects.toSatisfy(isStorageUnavailable);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(await count(archive, 'runs')).toBe(0);
  });

  test('an embedded archive opened again releases the extraction claims of the process that had it', async () => {
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-claims-'));
    try {
      const first = await openArchive({ archiveDir });
      const shas: string[] = [];
      try {
        for (const text of ['being extracted when the process was killed', 'killed on its last attempt']) {
          const blob = await first.putBlob(Buffer.from(text));
          await first.jobs.enqueue(blob.sha256);
          shas.push(blob.sha256);
        }
        const claimed = await first.jobs.claim('killed-process', 2);
        expect(claimed).toHaveLength(2);
        await first.db.execute(sql`update jobs set attempts = 3 where sha256 = ${shas[1]!}`);
      } finally {
        await first.close();
      }
      // Well inside the lease: only the archive's opening can have released them.
      const second = await openArchive({ archiveDir });
      try {
        expect(await second.jobs.claim('next-process', 10)).toEqual([expect.objectContaining({ sha256: shas[0], attempts: 2 })]);
        const [failed] = await rowsOf<{ status: string; extraction_status: string }>(
          second.db,
          sql`select j.status, b.extraction_status from jobs j join blobs b using (sha256) where sha256 = ${shas[1]!}`,
        );
        expect(failed).toEqual({ status: 'failed', extraction_status: 'failed' });
      } finally {
        await second.close();
      }
    } finally {
      await rm(archiveDir, { recursive: true, force: true });
    }
  });

  test('an embedded archive runs with the buffer cache it is opened with, 16 MB unless told', async () => {
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-buffers-'));
    const sharedBuffers = async (archive: Archive) => (await rowsOf<{ shared_buffers: string }>(archive.db, sql`show shared_buffers`))[0]!.shared_buffers;
    try {
      for (const [options, expected] of [[{ embeddedSharedBuffersMb: 8 }, '8MB'], [{}, '16MB']] as const) {
        const archive = await openArchive({ archiveDir }, options);
        expect(await sharedBuffers(archive).finally(() => archive.close())).toBe(expected);
      }
    } finally {
      await rm(archiveDir, { recursive: true, force: true });
    }
  });

  test('writers of originals share them; a remover holds them alone, and purge is one', async () => {
    const archive = await open();
    const kept = await archive.putBlob(Buffer.from('an original a purge must not race'));
    const crawl = await archive.lockOriginals('write');
    const snapshot = await archive.lockOriginals('write');
    expect([crawl, snapshot].map((release) => typeof release)).toEqual(['function', 'function']);
    expect(await archive.lockOriginals('remove')).toBeNull();
    // Refused before it looks anything up: the lock comes first.
    const refused = archive.purge('no-such-request');
    await expect(refused).rejects.toBeInstanceOf(OriginalsInUseError);
    await expect(refused).rejects.toThrow(/a crawl or a snapshot is storing originals in this archive: purging no-such-request must wait/);
    await crawl!();
    await crawl!();
    expect(await archive.lockOriginals('remove')).toBeNull();
    await snapshot!();

    const remover = await archive.lockOriginals('remove');
    expect(remover).toBeTypeOf('function');
    expect(await archive.lockOriginals('remove')).toBeNull();
    expect(await archive.lockOriginals('write')).toBeNull();
    await remover!();
    const writer = await archive.lockOriginals('write');
    expect(writer).toBeTypeOf('function');
    await writer!();
    expect(await archive.blobs.stat(kept.sha256)).not.toBeNull();
  });

  test('only one crawl holds the run lock at a time', async () => {
    const archive = await open();
    const release = await archive.lockRuns();
    expect(release).toBeTypeOf('function');
    expect(await archive.lockRuns()).toBeNull();
    await release!();
    const next = await archive.lockRuns();
    expect(next).toBeTypeOf('function');
    await next!();
  });
});
