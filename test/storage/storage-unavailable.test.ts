import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFailure, isStorageUnavailable } from '../../storage/index.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';

/** A port nothing listens on: bound for a moment, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A WebAssembly module whose one function, `trap`, runs `unreachable`. */
const TRAPPING_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x07, 0x08, 0x01, 0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x00, // exported as "trap"
  0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // its body: unreachable
]);

/** WebAssembly's JavaScript API: among Node's globals, not in the ES2023 library the types are checked against. */
const wasm = (globalThis as unknown as {
  WebAssembly: { instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }>; RuntimeError: new () => Error };
}).WebAssembly;

const rejection = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('it succeeded'), (error: unknown) => error);

describe('telling a storage that cannot take writes from a write that failed on its own', () => {
  let test: TestArchive;
  let s3: S3TestServer;
  afterAll(async () => {
    await test?.cleanup();
    await s3?.stop();
  });

  it('blames the storage for a full disk, an unreachable server and an object store that refuses', async () => {
    const full = await rejection(writeFile('/dev/full', 'the disk is full'));
    expect(full).toMatchObject({ code: 'ENOSPC' });
    expect(isStorageUnavailable(full)).toBe(true);

    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'nobody', connectionTimeoutMillis: 5000 });
    const refused = await rejection(client.connect());
    expect(isStorageUnavailable(refused)).toBe(true);

    s3 = await startS3Server();
    const missingBucket = new S3BlobStore(s3.config('no-such-bucket'));
    const refusedByStore = await rejection(missingBucket.put(Buffer.from('an original')));
    expect(isStorageUnavailable(refusedByStore)).toBe(true);

    // An object store in trouble: every request answered 500 (minio's client tries twice, then gives up in words).
    const failing = createHttpServer((_request, response) => response.writeHead(500).end());
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const troubled = new S3BlobStore({ ...s3.config('any-bucket'), port: (failing.address() as { port: number }).port });
      const answered500 = await rejection(troubled.put(Buffer.from('an original')));
      expect(String(answered500)).toMatch(/Retryable HTTP status: 500/);
      expect(isStorageUnavailable(answered500)).toBe(true);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('blames the storage when the embedded database aborts: WebAssembly traps, as PGlite does', async () => {
    const { instance } = await wasm.instantiate(TRAPPING_MODULE);
    const trapped = await rejection(Promise.resolve().then(() => (instance.exports['trap'] as () => void)()));
    expect(trapped).toBeInstanceOf(wasm.RuntimeError);
    expect(isStorageUnavailable(new Error('Failed query: insert into requests', { cause: trapped }))).toBe(true);
  });

  it('blames the write for a statement the database refuses, and says why in one line', async () => {
    test = await openTestArchive();
    const syntax = await rejection(test.archive.db.execute(sql`selec ${'a parameter\nover two lines'}`));
    expect(isStorageUnavailable(syntax)).toBe(false);
    expect(describeFailure(syntax)).toMatch(/^syntax error at or near "selec" \(in: selec \$1\)$/);

    await test.archive.db.execute(sql`insert into sites (base_url) values ('https://example.org')`);
    const duplicate = await rejection(test.archive.db.execute(sql`insert into sites (base_url) values ('https://example.org')`));
    expect(isStorageUnavailable(duplicate)).toBe(false);
    expect(describeFailure(duplicate)).toMatch(/^duplicate key value violates unique constraint/);
  });
});
