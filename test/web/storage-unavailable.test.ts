import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openArchive } from '../../storage/index.js';
import { createApp } from '../../web/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { databaseBehindProxy } from '../helpers/hanging-proxy.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';
import { seedArchive } from './fixture.js';

describe('the web UI while the archive cannot be read', () => {
  let s3: S3TestServer | undefined;
  let test: TestArchive | undefined;
  afterAll(async () => {
    await s3?.resume();
    await test?.cleanup();
    await s3?.stop();
  });

  it('answers 503 with Retry-After and logs one line, then serves again once the store is back', async () => {
    s3 = await startS3Server();
    test = await openTestArchive({ s3: s3.config(`wdtk-web-${randomBytes(4).toString('hex')}`) });
    const seeded = await seedArchive(test.archive);
    const app = createApp(test.archive);
    const download = `/attachment/${seeded.pdf.attachmentId}/download`;
    expect((await app.request(download)).status).toBe(200);

    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await s3.pause();
      const refused = await app.request(download);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(await refused.text()).toContain('The archive is unavailable for a moment');
      expect(logged.mock.calls).toHaveLength(1);
      expect(logged.mock.calls[0]).toEqual([expect.stringMatching(new RegExp(`^GET ${download}: the archive's storage is unavailable: [^\\n]+$`))]);
    } finally {
      logged.mockRestore();
    }

    await s3.resume();
    const served = await app.request(download);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(seeded.pdf.bytes)).toBe(true);
  });
});

// The server setting only: PGlite runs in this process and cannot hang apart from it.
describe.skipIf(!process.env['DATABASE_URL'])('the web UI on a database server that takes connections and answers nothing', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers 503 once a statement has waited its limit, and serves again once the server answers', { timeout: 60_000 }, async () => {
    const { direct, proxy, databaseUrl, archiveDir } = await databaseBehindProxy(cleanups);
    await seedArchive(direct.archive);
    // As `serve` opens it, with a limit of a second for the test instead of a minute.
    const archive = await openArchive({ archiveDir, databaseUrl }, { migrate: false, timeouts: { database: { connectMs: 1_000, statementMs: 1_000 } } });
    const app = createApp(archive);
    const search = async () => app.request('/api/search?q=housing');
    // As many connections open as the pool holds (ten), each idle when the server hangs: a search takes one of them.
    expect((await Promise.all(Array.from({ length: 10 }, search))).map((answer) => answer.status)).toEqual(Array(10).fill(200));

    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      proxy.hang();
      const started = performance.now();
      const hung = await Promise.all(Array.from({ length: 10 }, search));
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(hung.map((answer) => answer.status)).toEqual(Array(10).fill(503));
      expect(hung[0]!.headers.get('retry-after')).toBe('30');
      expect(await hung[0]!.json()).toEqual({ error: 'the archive is unavailable for a moment; try again shortly' });
      expect(logged.mock.calls[0]).toEqual([expect.stringMatching(/^GET \/api\/search: the archive's storage is unavailable: the database did not answer within 1 s/)]);
    } finally {
      logged.mockRestore();
    }

    // Every connection given up went back to the pool: none is left held, so it has room to connect again, and to close.
    proxy.resume();
    const within = <T>(ms: number, promise: Promise<T>) => Promise.race([promise, sleep(ms).then(() => 'still waiting' as const)]);
    expect(await within(10_000, search().then((answer) => answer.status))).toBe(200);
    expect(await within(5_000, archive.close())).toBeUndefined();
  });
});
