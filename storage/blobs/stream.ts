import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';

export type BlobInput = Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array> | { path: string };

/** How many first bytes a put keeps for type sniffing. */
export const SNIFF_BYTES = 4100;

/** A file named by its path (not a stream that happens to have a `path`, as a file read stream does). */
export function isFileInput(input: BlobInput): input is { path: string } {
  if (input instanceof Uint8Array || !('path' in input)) return false;
  return typeof input.path === 'string' && !(Symbol.asyncIterator in input);
}

export function toReadable(input: BlobInput): Readable {
  if (input instanceof Uint8Array) return Readable.from([input]);
  if (input instanceof Readable) return input;
  if (isFileInput(input)) return createReadStream(input.path);
  return Readable.from(input as AsyncIterable<Uint8Array>);
}

/** Passes bytes through while hashing them and keeping the first few KB for type sniffing. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly head: Buffer[] = [];
  private headLength = 0;
  size = 0;

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.add(bytes);
    done(null, bytes);
  }

  /** Counts bytes that reach the store without passing through the stream. The head is copied: `bytes` may be reused. */
  add(bytes: Buffer): void {
    this.hash.update(bytes);
    this.size += bytes.length;
    if (this.headLength < SNIFF_BYTES) {
      const slice = bytes.subarray(0, SNIFF_BYTES - this.headLength);
      this.head.push(Buffer.from(slice));
      this.headLength += slice.length;
    }
  }

  /** Valid once the stream has finished. */
  digest(): { sha256: string; size: number; head: Buffer } {
    return { sha256: this.hash.digest('hex'), size: this.size, head: Buffer.concat(this.head) };
  }
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function storageKey(sha256: string): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

export async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Content-Disposition for a download, with an RFC 5987 filename* when the name is not plain ASCII. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  if (ascii === filename) return `attachment; filename="${ascii}"`;
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
