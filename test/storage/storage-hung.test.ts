import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFailure, isStorageUnavailable, openArchive, StorageNotAnsweringError, type Archive } from '../../storage/index.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { databaseBehindProxy, startHangingProxy } from '../helpers/hanging-proxy.js';
import { startS3Server } from '../helpers/s3.js';

/** The error `promise` rejects with, and how long it took to. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => expect.unreachable('it succeeded'),
    (reason: unknown) => reason,
  );
  return { error, ms: Date.now() - started };
}

async function drainStream(stream: Readable): Promise<number> {
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('an object store that takes connections and answers nothing', () => {
  it('fails a put, and a read that stalls halfway, within the limit on silence, as storage unavailable', { timeout: 60_000 }, async () => {
    const bucket = `hung-${randomBytes(4).toString('hex')}`;
    const s3 = await startS3Server([bucket]);
    cleanups.push(() => s3.stop());
    const proxy = await startHangingProxy(s3.config(bucket).port!);
    cleanups.push(() => proxy.close());
    const store = new S3BlobStore({ ...s3.config(bucket), port: proxy.port }, { idleMs: 1_000, connectMs: 1_000 });

    // Larger than what the sockets between the store and this process can hold, so a read stops for want of bytes.
    const large = randomBytes(24 * 1024 * 1024);
    const { sha256 } = await store.put(large);
    const reading = await store.get(sha256);
    const first = await new Promise<Buffer>((resolve) => reading.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    proxy.hang();
    const read = await failure(drainStream(reading));
    expect(read.error).toBeInstanceOf(StorageNotAnsweringError);
    expect(describeFailure(read.error)).toBe('the object store did not answer within 1 s');
    expect(read.ms).toBeLessThan(10_000);

    const put = await failure(store.put(Buffer.from('an original')));
    expect(describeFailure(put.error)).toBe('the object store did not answer within 1 s');
    expect(isStorageUnavailable(put.error)).toBe(true);
    expect(put.ms).toBeGreaterThanOrEqual(900);
    expect(put.ms).toBeLessThan(5_000);

    const streamed = await failure(store.put(Readable.from([Buffer.from('an original, streamed')])));
    expect(isStorageUnavailable(streamed.error)).toBe(true);
    expect(streamed.ms).toBeLessThan(5_000);

    proxy.resume();
    expect((await store.put(Buffer.from('an original'))).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails a request whose connection is never made within the connect limit', { timeout: 30_000 }, async () => {
    // A listener whose process stops taking connections: once its accept queue is full, the kernel drops further
    // connection attempts unanswered, as a firewall that drops packets does.
    const listener = spawn(process.execPath, [
      '-e',
      `const server = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         console.log(server.address().port);
         setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000), 50);
       });`,
    ]);
    cleanups.push(async () => listener.kill('SIGKILL'));
    const [line] = (await once(listener.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    await sleep(300);
    for (let i = 0; i < 4; i++) {
      const filler = connect(port, '127.0.0.1');
      filler.on('error', () => {});
      cleanups.push(async () => filler.destroy());
    }
    await sleep(300);
    const store = new S3BlobStore(
      { endPoint: '127.0.0.1', port, useSSL: false, bucket: 'never-reached', accessKey: 'S3RVER', secretKey: 'S3RVER' },
      { connectMs: 1_000, idleMs: 20_000 },
    );
    const put = await failure(store.put(Buffer.from('an original')));
    expect(describeFailure(put.error)).toBe('the object store did not complete a new connection within 1 s');
    expect(isStorageUnavailable(put.error)).toBe(true);
    expect(put.ms).toBeLessThan(5_000);
  });

  it('lets a long upload take as long as it needs while bytes keep moving, and a reader pause for longer than the limit', { timeout: 60_000 }, async () => {
    const bucket = `slow-${randomBytes(4).toString('hex')}`;
    const s3 = await startS3Server([bucket]);
    cleanups.push(() => s3.stop());
    const store = new S3BlobStore(s3.config(bucket), { idleMs: 1_000, connectMs: 1_000 });

    // Three seconds of upload, a piece every 300 ms: three times the limit in all, never a second without a byte.
    const pieces = Array.from({ length: 10 }, () => randomBytes(64 * 1024));
    async function* trickle() {
      for (const piece of pieces) {
        await sleep(300);
        yield piece;
      }
    }
    const started = Date.now();
    const put = await store.put(Readable.from(trickle()));
    expect(Date.now() - started).toBeGreaterThan(2_500);
    expect(put.size).toBe(10 * 64 * 1024);

    // Read back by a reader that stops for longer than the limit (a download paused downstream): the store is not
    // the one keeping silent.
    let size = 0;
    for await (const chunk of await store.get(put.sha256)) {
      if (size === 0) await sleep(2_500);
      size += (chunk as Buffer).length;
    }
    expect(size).toBe(put.size);
  });
});

// The server setting only: PGlite runs in this process and cannot hang apart from it.
describe.skipIf(!process.env['DATABASE_URL'])('a database server that takes connections and answers nothing', () => {
  /** An archive on the test database, reached through a proxy that can hang, with limits of a second. */
  async function throughProxy(statementMs: number | null = 1_000) {
    const { direct, proxy, databaseUrl, archiveDir } = await databaseBehindProxy(cleanups);
    const archive = await openArchive({ archiveDir, databaseUrl }, { migrate: false, timeouts: { database: { connectMs: 1_000, statementMs } } });
    cleanups.push(() => archive.close());
    return { archive, proxy, direct: direct.archive };
  }

  it('fails a statement, then a new connection, within the limits, as storage unavailable, and closes', { timeout: 60_000 }, async () => {
    const { archive, proxy } = await throughProxy();
    expect(await archive.runs.list()).toEqual([]);

    proxy.hang();
    const statement = await failure(archive.runs.list());
    expect(describeFailure(statement.error)).toMatch(/^the database did not answer within 1 s \(in: select /);
    expect(isStorageUnavailable(statement.error)).toBe(true);
    expect(statement.ms).toBeGreaterThanOrEqual(900);
    expect(statement.ms).toBeLessThan(5_000);

    // The silent connection was dropped: the next statement needs a new one, which the server never lets start.
    const accepted = proxy.accepted();
    const connecting = await failure(archive.runs.list());
    expect(proxy.accepted()).toBe(accepted + 1);
    expect(describeFailure(connecting.error)).toMatch(/^the database server did not complete a new connection within 1 s/);
    expect(isStorageUnavailable(connecting.error)).toBe(true);
    expect(connecting.ms).toBeLessThan(5_000);

    // A transaction: its rollback fails too, and says the same rather than "not queryable".
    const transaction = await failure(archive.db.transaction(async (tx) => tx.execute(sql`select 1`)));
    expect(isStorageUnavailable(transaction.error)).toBe(true);
    expect(describeFailure(transaction.error)).toMatch(/^the database (server )?did not/);

    // Closing does not wait on the server's side of its connections.
    const closing = Date.now();
    await archive.close();
    expect(Date.now() - closing).toBeLessThan(8_000);

    proxy.resume();
  });

  it('gives statements only the connect limit once the server is known silent, and the full limit again once it answers', { timeout: 60_000 }, async () => {
    const { archive, proxy } = await throughProxy(4_000);
    // Two connections open and idle in the pool, so the second statement below needs no new one.
    const nap = sql`select pg_sleep(0.2)`;
    await Promise.all([archive.db.execute(nap), archive.db.execute(nap)]);

    proxy.hang();
    const first = await failure(archive.runs.list());
    expect(describeFailure(first.error)).toMatch(/^the database did not answer within 4 s/);
    expect(first.ms).toBeGreaterThanOrEqual(3_900);
    const accepted = proxy.accepted();
    const second = await failure(archive.runs.list());
    expect(proxy.accepted()).toBe(accepted);
    expect(describeFailure(second.error)).toMatch(/^the database did not answer within 1 s/);
    expect(second.ms).toBeLessThan(3_000);

    // An answer ends the suspicion: a statement slower than the connect limit passes, and a silence waits its 4 s.
    proxy.resume();
    await archive.runs.list();
    const slow = (await archive.db.execute(sql`select pg_sleep(1.5) as slept`)) as unknown as { rows: unknown[] };
    expect(slow.rows).toHaveLength(1);
    proxy.hang();
    const again = await failure(archive.runs.list());
    expect(describeFailure(again.error)).toMatch(/^the database did not answer within 4 s/);
    proxy.resume();
  });

  it('bounds only the processes that ask: without a limit a long statement runs to its end, with one it fails', { timeout: 60_000 }, async () => {
    const limited = await throughProxy(1_000);
    const slow = sql`select pg_sleep(1.5) as slept`;
    const failed = await failure(limited.archive.db.execute(slow));
    expect(describeFailure(failed.error)).toMatch(/^the database did not answer within 1 s/);

    const unlimited = await throughProxy(null);
    const result = (await unlimited.archive.db.execute(slow)) as unknown as { rows: unknown[] };
    expect(result.rows).toHaveLength(1);
  });

  it('applies migrations without the statement limit', { timeout: 60_000 }, async () => {
    const shared = await openTestArchive();
    cleanups.push(() => shared.cleanup());
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-hung-'));
    cleanups.push(() => rm(archiveDir, { recursive: true, force: true }));
    // A limit no statement meets: the migrations' own statements (lock, schema, journal) pass all the same.
    let archive: Archive | undefined;
    await expect(
      openArchive({ archiveDir, databaseUrl: shared.archive.config.databaseUrl! }, { timeouts: { database: { statementMs: 1 } } }).then((opened) => {
        archive = opened;
      }),
    ).resolves.toBeUndefined();
    cleanups.push(() => archive!.close());
  });
});
