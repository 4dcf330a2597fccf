import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, InvalidSha256Error } from '../errors.js';
import { HashingStream, SHA256_PATTERN, SNIFF_BYTES, storageKey, toReadable, type BlobInput } from './stream.js';
import type { BlobStore, PutResult } from './types.js';

function checkSha(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new InvalidSha256Error(sha256);
}

/**
 * Writes `input` to a new file at `filePath` and flushes it to disk through the handle that wrote it. A body already
 * in memory is written in one call, hashed in one go and flushed with fdatasync (the bytes and the size: the rest of
 * the metadata is not needed to read them back); anything else is streamed through the hash into the file, whose
 * stream fsyncs and closes it at the end.
 */
async function writeDurably(filePath: string, input: BlobInput): Promise<Pick<PutResult, 'sha256' | 'size' | 'head'>> {
  const { result: handle } = await inDirectory(filePath, () => open(filePath, 'wx'));
  try {
    if (input instanceof Uint8Array) {
      const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      await handle.writeFile(bytes);
      await handle.datasync();
      return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, head: bytes.subarray(0, SNIFF_BYTES) };
    }
    const hashing = new HashingStream();
    await pipeline(toReadable(input), hashing, handle.createWriteStream({ flush: true }));
    return hashing.digest();
  } finally {
    // Already closed by the stream when it ended; closing again does nothing.
    await handle.close();
  }
}

/**
 * Runs `action` on `filePath`, making its directory first only if the action finds it missing (one call fewer per
 * file). Returns the directories that had to be made, outermost first.
 */
async function inDirectory<T>(filePath: string, action: () => Promise<T>): Promise<{ result: T; made: string[] }> {
  try {
    return { result: await action(), made: [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const dir = path.dirname(filePath);
    const first = await mkdir(dir, { recursive: true });
    const made: string[] = [];
    for (let d = dir; first !== undefined && d.length >= first.length; d = path.dirname(d)) made.unshift(d);
    return { result: await action(), made };
  }
}

/** Flushes a directory's entries, so a file renamed into it (or a directory made in it) survives a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

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
      const { sha256, size, head } = await writeDurably(tmpPath, input);
      const finalPath = this.pathOf(sha256);
      const existing = await stat(finalPath).catch(() => null);
      if (existing?.size === size) {
        await unlink(tmpPath);
        return { sha256, size, created: false, storageKey: storageKey(sha256), head };
      }
      const { made } = await inDirectory(finalPath, () => rename(tmpPath, finalPath));
      // The rename is what makes the blob exist: it must be on disk before the row that says it does. A directory
      // made on the way has to be recorded in its parent too.
      for (const dir of [...made.map((d) => path.dirname(d)), path.dirname(finalPath)]) await syncDirectory(dir);
      return { sha256, size, created: true, storageKey: storageKey(sha256), head };
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  async get(sha256: string): Promise<Readable> {
    checkSha(sha256);
    const handle = await open(this.pathOf(sha256), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new BlobNotFoundError(sha256);
      throw error;
    });
    return handle.createReadStream();
  }

  async stat(sha256: string): Promise<{ size: number; sha256Meta: string | null } | null> {
    checkSha(sha256);
    const info = await stat(this.pathOf(sha256)).catch(() => null);
    return info ? { size: info.size, sha256Meta: sha256 } : null;
  }

  async delete(sha256: string): Promise<void> {
    checkSha(sha256);
    await rm(this.pathOf(sha256), { force: true });
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
