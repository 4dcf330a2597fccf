import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, opendir, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, InvalidSha256Error } from '../errors.js';
import {
  HashingStream,
  isFileInput,
  SHA256_PATTERN,
  SNIFF_BYTES,
  storageKey,
  toReadable,
  type BlobInput,
} from './stream.js';
import type { BlobStat, BlobStore, ByteRange, PutResult } from './types.js';
import { WriterThreads } from './writer-threads.js';

function checkSha(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new InvalidSha256Error(sha256);
}

/** Streams `input` through the hash into a new file at `filePath`, which the stream fsyncs and closes at the end. */
async function writeStreamed(filePath: string, input: BlobInput): Promise<Pick<PutResult, 'sha256' | 'size' | 'head'>> {
  const handle = await open(filePath, 'wx').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await mkdir(path.dirname(filePath), { recursive: true });
    return open(filePath, 'wx');
  });
  try {
    const hashing = new HashingStream();
    if (isFileInput(input)) {
      await copyFile(input.path, handle, hashing);
      await handle.sync();
    } else {
      await pipeline(toReadable(input), hashing, handle.createWriteStream({ flush: true }));
    }
    return hashing.digest();
  } finally {
    // Already closed by the stream when it ended; closing again does nothing.
    await handle.close();
  }
}

const COPY_BUFFER_BYTES = 1024 * 1024;

/**
 * Copies a file (a large download the fetcher streamed to disk) through `hashing` with one buffer. A read stream
 * would allocate a new buffer per 64 KiB chunk, and on a 1 GiB file the allocator kept about 25 MiB more resident
 * for them than this loop does (bench/README.md, part 23).
 */
async function copyFile(sourcePath: string, target: FileHandle, hashing: HashingStream): Promise<void> {
  const source = await open(sourcePath, 'r');
  try {
    const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      const chunk = buffer.subarray(0, bytesRead);
      hashing.add(chunk);
      for (let written = 0; written < bytesRead; ) written += (await target.write(chunk, written)).bytesWritten;
    }
  } finally {
    await source.close();
  }
}

const writerThreads = new WriterThreads();

/** Blobs as files under `<root>/sha256/ab/cd/<sha256>`; writes go to `<root>/tmp` first, then rename. */
export class FileBlobStore implements BlobStore {
  readonly kind = 'files' as const;

  constructor(readonly root: string) {}

  private pathOf(sha256: string): string {
    return path.join(this.root, ...storageKey(sha256).split('/'));
  }

  async put(input: BlobInput): Promise<PutResult> {
    const tmpPath = path.join(this.root, 'tmp', randomBytes(12).toString('hex'));
    try {
      if (input instanceof Uint8Array) {
        const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const created = await writerThreads.run({ tmpPath, finalPath: this.pathOf(sha256), size: bytes.length, bytes });
        return { sha256, size: bytes.length, created, storageKey: storageKey(sha256), head: bytes.subarray(0, SNIFF_BYTES) };
      }
      const { sha256, size, head } = await writeStreamed(tmpPath, input);
      const created = await writerThreads.run({ tmpPath, finalPath: this.pathOf(sha256), size });
      return { sha256, size, created, storageKey: storageKey(sha256), head };
    } catch (error) {
      // A temporary file that cannot be removed either must not hide the error that stopped the put.
      await rm(tmpPath, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    checkSha(sha256);
    const handle = await open(this.pathOf(sha256), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new BlobNotFoundError(sha256);
      throw error;
    });
    // fs read streams take start and end inclusive, as a ByteRange has them.
    return handle.createReadStream(range);
  }

  async stat(sha256: string): Promise<BlobStat | null> {
    checkSha(sha256);
    const info = await stat(this.pathOf(sha256)).catch(() => null);
    return info ? { size: info.size, sha256Meta: sha256, modifiedAt: info.mtime } : null;
  }

  async delete(sha256: string): Promise<void> {
    checkSha(sha256);
    await rm(this.pathOf(sha256), { force: true });
  }

  /**
   * Deletes temporary files no put has touched for `olderThanMs`: left by a process killed in the middle of a put (a
   * streamed attachment can leave one as large as itself). Returns how many.
   */
  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const dir = path.join(this.root, 'tmp');
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const info = await stat(path.join(dir, name)).catch(() => null);
      if (!info || Date.now() - info.mtimeMs < olderThanMs) continue;
      await rm(path.join(dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  async url(): Promise<string | null> {
    return null;
  }

  async *list(): AsyncIterable<string> {
    const base = path.join(this.root, 'sha256');
    const walk = async function* (dir: string, depth: number): AsyncIterable<string> {
      const entries = await opendir(dir).catch(() => null);
      if (!entries) return;
      for await (const entry of entries) {
        if (depth < 2 && entry.isDirectory()) yield* walk(path.join(dir, entry.name), depth + 1);
        else if (depth === 2 && entry.isFile() && SHA256_PATTERN.test(entry.name)) yield entry.name;
      }
    };
    yield* walk(base, 0);
  }
}
