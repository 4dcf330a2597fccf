import type { Readable } from 'node:stream';
import type { BlobInput } from './stream.js';

export interface PutResult {
  sha256: string;
  size: number;
  /** false when the same content was already stored (nothing written). */
  created: boolean;
  storageKey: string;
  /** the first bytes of the content, for type sniffing */
  head: Buffer;
}

/** Bytes start..end of an object, both inclusive (as in an HTTP Range), within its size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStat {
  size: number;
  sha256Meta: string | null;
  modifiedAt: Date;
}

/** Content-addressed store of originals: the key is derived from the sha256 computed while streaming. */
export interface BlobStore {
  readonly kind: 'files' | 's3';
  put(input: BlobInput): Promise<PutResult>;
  /** The whole object, or only `range` of it read from the store. Throws BlobNotFoundError when the object is absent. */
  get(sha256: string, range?: ByteRange): Promise<Readable>;
  /** sha256Meta: the sha256 recorded with the object (S3 metadata; files: the name); modifiedAt: when it was written. */
  stat(sha256: string): Promise<BlobStat | null>;
  delete(sha256: string): Promise<void>;
  /** A time-limited download URL (S3), or null when the caller must serve the bytes itself (files). */
  url(sha256: string, opts?: { filename?: string; contentType?: string; expirySeconds?: number }): Promise<string | null>;
  /** Every stored sha256. */
  list(): AsyncIterable<string>;
}
