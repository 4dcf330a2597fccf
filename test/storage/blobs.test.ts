import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BlobNotFoundError, contentDisposition, FileBlobStore, openArchive, storageKey, type BlobStore } from '../../storage/index.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { exposeGarbageCollector } from '../helpers/gc.js';
import { runScript } from '../helpers/cli.js';
import { startS3Server, type S3TestServer } from '../helpers/s3.js';

const MB = 1024 * 1024;

// Collect garbage as the stream runs, so RSS measures what the store keeps alive rather than
// how late V8 happens to free the chunks it has already passed on.
const collectGarbage = exposeGarbageCollector();

async function sha256Of(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Random bytes generated on the fly (never held whole), hashing as they go. */
function generated(totalBytes: number) {
  const hash = createHash('sha256');
  const chunkSize = 64 * 1024;
  async function* chunks() {
    for (let sent = 0; sent < totalBytes; sent += chunkSize) {
      const chunk = randomBytes(Math.min(chunkSize, totalBytes - sent));
      hash.update(chunk);
      if (sent % (4 * MB) === 0) collectGarbage();
      yield chunk;
    }
  }
  return { stream: chunks(), digest: () => hash.digest('hex') };
}

/** Peak RSS above the starting point while `work` runs. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  collectGarbage();
  const start = process.memoryUsage().rss;
  let peak = start;
  // Collecting as we sample keeps dead chunks out of the figure: what remains is memory the store holds on to,
  // not how far the collector lags behind on a loaded machine.
  const sampler = setInterval(() => {
    collectGarbage();
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}

let s3: S3TestServer;
let tempRoot: string;
const stores: Record<string, () => Promise<BlobStore>> = {
  files: async () => new FileBlobStore(await mkdtemp(path.join(tempRoot, 'files-'))),
  s3: async () => {
    const store = new S3BlobStore(s3.config(`b${randomBytes(6).toString('hex')}`));
    await store.ensureBucket();
    return store;
  },
};

beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(tmpdir(), 'wdtk-blobs-'));
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.stop();
  await rm(tempRoot, { recursive: true, force: true });
});

test('Content-Disposition carries an RFC 5987 filename* for non-ASCII names', () => {
  expect(contentDisposition('plain.pdf')).toBe('attachment; filename="plain.pdf"');
  expect(contentDisposition('Réponse "finale".pdf')).toBe(
    `attachment; filename="R_ponse _finale_.pdf"; filename*=UTF-8''R%C3%A9ponse%20%22finale%22.pdf`,
  );
});

describe.each(Object.keys(stores))('%s blob store', (kind) => {
  let store: BlobStore;
  beforeAll(async () => {
    store = await stores[kind]!();
  });

  test('stores content under its sha256 and gives it back', async () => {
    const bytes = Buffer.from('Dear FOI officer, please find attached the minutes.\n');
    const expected = createHash('sha256').update(bytes).digest('hex');
    const put = await store.put(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]));
    expect(put).toMatchObject({ sha256: expected, size: bytes.length, created: true });
    expect(put.storageKey).toBe(`sha256/${expected.slice(0, 2)}/${expected.slice(2, 4)}/${expected}`);
    expect(put.storageKey).toMatch(/^[a-z0-9/]+$/);
    expect(await sha256Of(await store.get(expected))).toEqual({ sha256: expected, size: bytes.length });
    expect(await store.stat(expected)).toEqual({ size: bytes.length, sha256Meta: expected, modifiedAt: expect.any(Date) });
    expect(Math.abs(Date.now() - (await store.stat(expected))!.modifiedAt.getTime())).toBeLessThan(60_000);
  });

  test('the same content under two names is stored once', async () => {
    const bytes = randomBytes(100_000);
    const first = await store.put(bytes);
    const dir = await mkdtemp(path.join(tempRoot, 'names-'));
    const other = path.join(dir, 'copy-with-another-name.pdf');
    await writeFile(other, bytes);
    const second = await store.put({ path: other });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ sha256: first.sha256, created: false });
    const listed: string[] = [];
    for await (const sha of store.list()) listed.push(sha);
    expect(listed.filter((sha) => sha === first.sha256)).toHaveLength(1);
    if (store instanceof FileBlobStore) expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });

  test('streamed puts side by side each land whole, while others are deleted', async () => {
    // Crawl workers store side by side: each streamed body passes through the store's temporary area, which one
    // put may find empty and another be writing into at the same moment.
    const lanes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const landed: { sha256: string; size: number; deleted: boolean }[] = [];
        for (let i = 0; i < 25; i++) {
          const bytes = randomBytes(1_000 + Math.floor(Math.random() * 30_000));
          const put = await store.put(Readable.from([bytes.subarray(0, 500), bytes.subarray(500)]));
          expect(put).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, created: true });
          const deleted = i % 3 === 0;
          if (deleted) await store.delete(put.sha256);
          landed.push({ sha256: put.sha256, size: bytes.length, deleted });
        }
        return landed;
      }),
    );
    for (const { sha256, size, deleted } of lanes.flat()) {
      if (deleted) expect(await store.stat(sha256)).toBeNull();
      else expect(await sha256Of(await store.get(sha256))).toEqual({ sha256, size });
    }
  });

  test('a byte range reads just those bytes, inclusive at both ends', async () => {
    const bytes = randomBytes(300_000);
    const { sha256 } = await store.put(bytes);
    const read = async (start: number, end: number) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(sha256, { start, end })) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    // Not 0-0: the s3rver test server reads an end of 0 as "to the end" (real S3 and MinIO do not).
    expect((await read(0, 9)).equals(bytes.subarray(0, 10))).toBe(true);
    expect((await read(1000, 199_999)).equals(bytes.subarray(1000, 200_000))).toBe(true);
    expect((await read(299_990, 299_999)).equals(bytes.subarray(299_990))).toBe(true);
    await expect(store.get('0'.repeat(64), { start: 0, end: 9 })).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  test('delete removes the object; get then reports it missing', async () => {
    const put = await store.put(Buffer.from(`short-lived ${kind}`));
    await store.delete(put.sha256);
    expect(await store.stat(put.sha256)).toBeNull();
    await expect(store.get(put.sha256)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  test('download URL: presigned with the filename on S3, none for files', async () => {
    const bytes = Buffer.from('%PDF-1.4 tiny');
    const put = await store.put(bytes);
    // s3rver mis-signs query values containing * (stack-notes §2), so the RFC 5987 form is checked below.
    const url = await store.url(put.sha256, { filename: 'Minutes 2024.pdf', contentType: 'application/pdf' });
    if (kind === 'files') {
      expect(url).toBeNull();
      return;
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="Minutes 2024.pdf"');
    expect(response.headers.get('content-type')).toBe('application/pdf');
  });

  test('a 50 MB stream goes in and out with the same sha256 and bounded memory', async () => {
    const size = 50 * MB;
    const source = generated(size);
    let put: Awaited<ReturnType<BlobStore['put']>> | undefined;
    const growthIn = await peakRssGrowth(async () => {
      put = await store.put(source.stream);
    });
    expect(put).toMatchObject({ sha256: source.digest(), size, created: true });
    let back: { sha256: string; size: number } | undefined;
    const growthOut = await peakRssGrowth(async () => {
      back = await sha256Of(await store.get(put!.sha256));
    });
    expect(back).toEqual({ sha256: put!.sha256, size });
    expect(await store.stat(put!.sha256)).toMatchObject({ size, sha256Meta: put!.sha256 });
    // under the 50 MB that buffering the whole object would cost (S3 parts are 5 MB); measured 0-18 MB each way
    // with two CPU hogs running, the rest is margin for the allocator's own pages
    expect(growthIn).toBeLessThan(40 * MB);
    expect(growthOut).toBeLessThan(40 * MB);
  });

  test('a file of several MiB, not a whole number of them, is stored whole, with its head', async () => {
    // A large download reaches the store as a file; the files store copies it a MiB at a time through one buffer.
    const bytes = randomBytes(3 * MB + 12_345);
    const dir = await mkdtemp(path.join(tempRoot, 'file-'));
    const file = path.join(dir, 'large-download');
    await writeFile(file, bytes);
    const put = await store.put({ path: file });
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(put).toMatchObject({ sha256: expected, size: bytes.length, created: true });
    expect(put.head).toEqual(bytes.subarray(0, 4100));
    const back: Buffer[] = [];
    for await (const chunk of (await store.get(expected)) as AsyncIterable<Buffer>) back.push(chunk);
    expect(Buffer.concat(back).equals(bytes)).toBe(true);
    if (store instanceof FileBlobStore) expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });

  test('a stream that fails halfway rejects with its own error, and the next put works', async () => {
    async function* failing() {
      yield randomBytes(2 * MB);
      throw new Error('connection reset by the site');
    }
    await expect(store.put(failing())).rejects.toThrow('connection reset by the site');
    if (store instanceof FileBlobStore) expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
    const bytes = randomBytes(10_000);
    expect(await store.put(bytes)).toMatchObject({ size: bytes.length, created: true });
  });

  test('a file that is gone when it is put rejects and leaves no temporary file', async () => {
    await expect(store.put({ path: path.join(tempRoot, 'no-such-download') })).rejects.toMatchObject({ code: 'ENOENT' });
    if (store instanceof FileBlobStore) expect(await readdir(path.join(store.root, 'tmp'))).toEqual([]);
  });
});

describe('file blob store', () => {
  test('a put that cannot be written rejects with the file system error, keeps no temporary file, and the next put works', async () => {
    const root = await mkdtemp(path.join(tempRoot, 'blocked-'));
    const store = new FileBlobStore(root);
    await writeFile(path.join(root, 'sha256'), 'a file where the blob directories go');
    const bytes = randomBytes(5_000);
    await expect(store.put(bytes)).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(store.put(Readable.from([bytes]))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);

    await rm(path.join(root, 'sha256'));
    const put = await store.put(bytes);
    expect(put).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, created: true });
    expect(await sha256Of(await store.get(put.sha256))).toEqual({ sha256: put.sha256, size: bytes.length });
    expect(await store.put(Buffer.from(bytes))).toMatchObject({ sha256: put.sha256, created: false });
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  test('temporary files a killed put left behind go when an archive is opened, once untouched for 10 minutes', async () => {
    const archiveDir = await mkdtemp(path.join(tempRoot, 'leftovers-'));
    const tmp = path.join(archiveDir, 'blobs', 'tmp');
    await mkdir(tmp, { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await writeFile(path.join(tmp, 'left-by-a-killed-put'), randomBytes(10_000));
    await utimes(path.join(tmp, 'left-by-a-killed-put'), hourAgo, hourAgo);
    await writeFile(path.join(tmp, 'being-written'), 'a put going on in another process');

    const archive = await openArchive({ archiveDir });
    try {
      expect(await readdir(tmp)).toEqual(['being-written']);
    } finally {
      await archive.close();
    }
    await utimes(path.join(tmp, 'being-written'), hourAgo, hourAgo);
    expect(await new FileBlobStore(path.join(archiveDir, 'blobs')).removeStaleTemporaries(10 * 60_000)).toBe(1);
    expect(await readdir(tmp)).toEqual([]);
  }, 60_000);

  // A streamed put uploads to tmp/ and copies to the content address: killed between the two, it left the upload whole.
  test('temporary objects a killed put left in a bucket go once untouched for the grace period, and nothing else', async () => {
    const store = new S3BlobStore(s3.config(`b${randomBytes(6).toString('hex')}`));
    await store.ensureBucket();
    const stored = await store.put(Readable.from([Buffer.from('an original, stored whole')]));
    await store.client.putObject(store.bucket, 'tmp/0123456789abcdef01234567', randomBytes(10_000));
    const names = async () => {
      const found: string[] = [];
      for await (const item of store.client.listObjectsV2(store.bucket, '', true) as AsyncIterable<{ name?: string }>) if (item.name) found.push(item.name);
      return found.sort();
    };
    expect(await store.removeStaleTemporaries(10 * 60_000)).toBe(0);
    expect(await names()).toEqual([storageKey(stored.sha256), 'tmp/0123456789abcdef01234567']);
    expect(await store.removeStaleTemporaries(0)).toBe(1);
    expect(await names()).toEqual([storageKey(stored.sha256)]);
  });

  test('the thread that writes bodies does not keep a process running once its puts are done', async () => {
    // The thread waits 30 s idle before it ends; a process that only stored one body must not wait for it.
    const root = await mkdtemp(path.join(tempRoot, 'exit-'));
    const script = `import('./storage/blobs/index.ts').then(async ({ FileBlobStore }) => {
      const put = await new FileBlobStore(${JSON.stringify(root)}).put(Buffer.from('one body'));
      console.log(put.sha256);
    })`;
    const started = Date.now();
    const { stdout, stderr, code } = await runScript(script);
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe(createHash('sha256').update('one body').digest('hex'));
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);
});
