import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import * as Minio from 'minio';
import { BlobNotFoundError, InvalidSha256Error, StorageNotAnsweringError } from '../errors.js';
import { contentDisposition, HashingStream, SHA256_PATTERN, storageKey, toReadable, type BlobInput } from './stream.js';
import type { BlobStat, BlobStore, ByteRange, PutResult } from './types.js';

export interface S3Config {
  endPoint: string;
  port?: number;
  useSSL?: boolean;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region?: string;
}

/**
 * How long an object store may stay silent. A store that hangs keeps its connections open and answers nothing, and
 * minio's client waits for ever: a put or a read would stall a crawl, holding its lock.
 */
export interface S3Timeouts {
  /** Connecting (TCP) to the store. @default 30_000 */
  connectMs?: number;
  /**
   * A request during which no byte moves either way: sent, answered or read. A limit on silence, not on the whole
   * request, so a 1 GB upload or download that keeps moving takes as long as it needs, and a reader may stop reading
   * (a download paused downstream) for as long as it likes. @default 120_000
   */
  idleMs?: number;
}

/** 30 s, as for the database (storage/db/connect.ts). */
const DEFAULT_CONNECT_MS = 30_000;
/** Two minutes: far past any pause of a store that works (a large copy answers within seconds), short beside a night. */
const DEFAULT_IDLE_MS = 120_000;

type Transport = Pick<typeof http, 'request'>;

/**
 * http(s).request with the limits minio lacks: `setRequestOptions` passes through only TLS and agent settings, and the
 * agent's own socket timeout only closes idle pooled sockets. A limit destroys the request, and the response being
 * read, with a StorageNotAnsweringError, which minio hands on as the call's error.
 */
function timedTransport(useSSL: boolean, timeouts: S3Timeouts): Transport {
  const base = useSSL ? https : http;
  const connectMs = timeouts.connectMs ?? DEFAULT_CONNECT_MS;
  const idleMs = timeouts.idleMs ?? DEFAULT_IDLE_MS;
  const request = (options: http.RequestOptions, callback?: (response: IncomingMessage) => void): http.ClientRequest => {
    const outgoing = base.request({ ...options, timeout: idleMs }, callback);
    let response: IncomingMessage | undefined;
    outgoing.once('response', (incoming: IncomingMessage) => (response = incoming));
    const fail = (error: Error) => {
      response?.destroy(error);
      outgoing.destroy(error);
    };
    // The socket's timeout: no byte read or written for `idleMs`, while connecting, sending, waiting or reading.
    outgoing.on('timeout', () => {
      // Bytes received and not yet read: the reader is behind (a download paused downstream), not the store silent.
      if (response && !response.readableFlowing && response.readableLength > 0) {
        outgoing.setTimeout(idleMs);
        return;
      }
      fail(new StorageNotAnsweringError('object store', idleMs));
    });
    outgoing.once('socket', (socket: Socket) => {
      // A pooled socket is connected already.
      if (!socket.connecting) return;
      const timer = setTimeout(() => fail(new StorageNotAnsweringError('object store connection', connectMs)), connectMs);
      const clear = () => clearTimeout(timer);
      socket.once('connect', clear);
      socket.once('close', clear);
    });
    return outgoing;
  };
  return { request } as unknown as Transport;
}

// minio buffers one part in memory when the length is unknown: keep parts at S3's 5 MB minimum.
const PART_SIZE = 5 * 1024 * 1024;

/** Where a put of unknown length uploads before it knows its sha256. */
const TMP_PREFIX = 'tmp/';

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchObject';
}

function checkSha(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) throw new InvalidSha256Error(sha256);
}

export function s3Client(config: S3Config, timeouts: S3Timeouts = {}): Minio.Client {
  const useSSL = config.useSSL ?? false;
  return new Minio.Client({
    endPoint: config.endPoint,
    ...(config.port !== undefined ? { port: config.port } : {}),
    useSSL,
    transport: timedTransport(useSSL, timeouts),
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region ?? 'us-east-1',
    pathStyle: true,
    partSize: PART_SIZE,
  });
}

/**
 * Blobs as S3 objects `sha256/ab/cd/<sha256>` with `x-amz-meta-sha256`. Streams of unknown length are
 * uploaded to a temporary object while hashing, then copied to their content address.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: Minio.Client;
  readonly bucket: string;

  constructor(config: S3Config, timeouts: S3Timeouts = {}) {
    this.client = s3Client(config, timeouts);
    this.bucket = config.bucket;
  }

  async ensureBucket(region?: string): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket, region ?? 'us-east-1');
  }

  async put(input: BlobInput): Promise<PutResult> {
    if (input instanceof Uint8Array) return this.putBytes(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
    const tmpKey = `${TMP_PREFIX}${randomBytes(12).toString('hex')}`;
    const hashing = new HashingStream();
    const source = toReadable(input);
    // minio waits for the end of the stream it is given and never hears of an error upstream of it: a source that
    // fails (a file gone, a connection reset) ends the upload short, the short object is removed below, and the put
    // rejects with the source's error.
    let sourceError: unknown;
    // `on`, not `once`: a second error from the same source must not go unhandled and end the process.
    source.on('error', (error) => {
      if (sourceError) return;
      sourceError = error;
      source.unpipe(hashing);
      hashing.end();
    });
    try {
      // With nothing read, the upload itself fails (no parts); the source's error is the one to report.
      await this.client.putObject(this.bucket, tmpKey, source.pipe(hashing)).catch((error: unknown) => {
        throw sourceError ?? error;
      });
      if (sourceError) throw sourceError;
      const { sha256, size, head } = hashing.digest();
      const key = storageKey(sha256);
      const existing = await this.stat(sha256);
      const created = existing?.size !== size;
      if (created) {
        await this.client.copyObject(
          new Minio.CopySourceOptions({ Bucket: this.bucket, Object: tmpKey }),
          new Minio.CopyDestinationOptions({
            Bucket: this.bucket,
            Object: key,
            MetadataDirective: 'REPLACE',
            UserMetadata: { sha256 },
          }),
        );
      }
      return { sha256, size, created, storageKey: key, head };
    } finally {
      await this.client.removeObject(this.bucket, tmpKey).catch(() => {});
    }
  }

  private async putBytes(bytes: Buffer): Promise<PutResult> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = storageKey(sha256);
    const head = bytes.subarray(0, 4100);
    const existing = await this.stat(sha256);
    if (existing?.size === bytes.length) return { sha256, size: bytes.length, created: false, storageKey: key, head };
    await this.client.putObject(this.bucket, key, bytes, bytes.length, { 'x-amz-meta-sha256': sha256 });
    return { sha256, size: bytes.length, created: true, storageKey: key, head };
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    checkSha(sha256);
    try {
      if (range) return await this.client.getPartialObject(this.bucket, storageKey(sha256), range.start, range.end - range.start + 1);
      return await this.client.getObject(this.bucket, storageKey(sha256));
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(sha256);
      throw error;
    }
  }

  async stat(sha256: string): Promise<BlobStat | null> {
    checkSha(sha256);
    try {
      const info = await this.client.statObject(this.bucket, storageKey(sha256));
      const meta = info.metaData as Record<string, string | undefined>;
      return { size: info.size, sha256Meta: meta['sha256'] ?? meta['x-amz-meta-sha256'] ?? null, modifiedAt: info.lastModified };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(sha256: string): Promise<void> {
    checkSha(sha256);
    await this.client.removeObject(this.bucket, storageKey(sha256));
  }

  async url(
    sha256: string,
    opts: { filename?: string; contentType?: string; expirySeconds?: number } = {},
  ): Promise<string | null> {
    checkSha(sha256);
    const headers: Record<string, string> = {};
    if (opts.filename) headers['response-content-disposition'] = contentDisposition(opts.filename);
    if (opts.contentType) headers['response-content-type'] = opts.contentType;
    return this.client.presignedGetObject(this.bucket, storageKey(sha256), opts.expirySeconds ?? 3600, headers);
  }

  /**
   * Removes the temporary uploads of puts killed before they removed their own (between the upload and its copy to the
   * content address), once untouched this long: no row names them, and `list` does not show them.
   */
  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const stale: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, TMP_PREFIX, true) as AsyncIterable<{ name?: string; lastModified?: Date }>) {
      if (item.name && item.lastModified && Date.now() - item.lastModified.getTime() >= olderThanMs) stale.push(item.name);
    }
    if (stale.length > 0) await this.client.removeObjects(this.bucket, stale);
    return stale.length;
  }

  async *list(): AsyncIterable<string> {
    for await (const item of this.client.listObjectsV2(this.bucket, 'sha256/', true) as AsyncIterable<{ name?: string }>) {
      const name = item.name?.split('/').pop();
      if (name && SHA256_PATTERN.test(name)) yield name;
    }
  }
}
