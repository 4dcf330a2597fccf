import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, InvalidSha256Error } from '../errors.js';
import { HashingStream, SHA256_PATTERN, storageKey, toReadable, type BlobInput } from './stream.js';
import type { BlobStore, PutResult } from './types.js';

function checkSha(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new InvalidSha256Error(sha256);
}

/** Blobs as files under `<root>/sha256/ab/cd/<sha256>`; writes go to `<root>/tmp` first, then rename. */
export class FileBlobStore implements BlobStore {
  readonly kind = 'files' as const;

  constructor(readonly root: string) {}

  private pathOf(sha256: string): string {
    return path.join(this.root, ...storageKey(sha256).split('/'));
  }

  async put(input: BlobInput): Promise<PutResult> {
    const tmpDir = path.join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = path.join(tmpDir, randomBytes(12).toString('hex'));
    const hashing = new HashingStream();
    try {
      await pipeline(toReadable(input), hashing, createWriteStream(tmpPath, { flags: 'wx' }));
      const handle = await open(tmpPath, 'r');
      await handle.sync();
      await handle.close();
      const { sha256, size, head } = hashing.digest();
      const finalPath = this.pathOf(sha256);
      const existing = await stat(finalPath).catch(() => null);
      if (existing?.size === size) {
        await unlink(tmpPath);
        return { sha256, size, created: false, storageKey: storageKey(sha256), head };
      }
      await mkdir(path.dirname(finalPath), { recursive: true });
      await rename(tmpPath, finalPath);
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
