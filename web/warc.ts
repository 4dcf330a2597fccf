import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { STATUS_CODES } from 'node:http';
import { asc, eq, inArray, or } from 'drizzle-orm';
import { WARCRecord } from 'warcio';
import { WARCSerializer } from 'warcio/node';
import { BlobNotFoundError, schema, type Archive, type SearchQuery } from '../storage/index.js';
import { StoredBodyMismatchError } from './errors.js';

const { attachments, captures } = schema;

export interface WarcOptions {
  /** Compress each record as its own gzip member (a .warc.gz). @default false */
  gzip?: boolean;
  /** Named in the warcinfo record. @default 'wdtk-archive' */
  software?: string;
}

type CaptureRow = typeof captures.$inferSelect;

// The stored body is the decoded payload (the HTTP client undoes transfer and content coding), so headers
// describing the wire encoding would make a WARC reader decode it a second time. They are kept, renamed.
const WIRE_HEADERS = new Set(['transfer-encoding', 'content-encoding', 'content-length']);

function responseHeaders(capture: CaptureRow): [string, string][] {
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(capture.responseHeaders)) {
    headers.push(WIRE_HEADERS.has(name.toLowerCase()) ? [`X-Archive-Orig-${name}`, value] : [name, value]);
  }
  headers.push(['Content-Length', String(capture.size ?? 0)]);
  return headers;
}

function requestLine(capture: CaptureRow): { statusline: string; headers: [string, string][] } {
  const url = new URL(capture.url);
  const headers = Object.entries(capture.requestHeaders);
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['Host', url.host]);
  return { statusline: `${capture.method} ${url.pathname}${url.search} HTTP/1.1`, headers };
}

async function write(out: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out as NodeJS.WritableStream & NodeJS.EventEmitter, 'drain');
}

async function writeRecord(out: NodeJS.WritableStream, record: WARCRecord, gzip: boolean): Promise<void> {
  // warcio's node serializer spools payloads past 2 MB to a temp file while computing the digests,
  // which WARC puts in the header before the payload.
  const serializer = new WARCSerializer(record, { gzip });
  try {
    for await (const chunk of serializer) await write(out, chunk as Uint8Array);
  } finally {
    await serializer.externalBuffer?.purge();
  }
}

async function* empty(): AsyncIterable<Uint8Array> {}

/**
 * The stored body of a capture, checked against the sha256 and size recorded for it while it streams. warcio reads a
 * whole payload to compute the record's digests before it writes any of the record, so a body that fails the check
 * throws before its response record reaches the output.
 */
async function* checkedBody(archive: Archive, capture: CaptureRow, sha256: string): AsyncIterable<Uint8Array> {
  let body: AsyncIterable<Buffer>;
  try {
    body = await archive.blobs.get(sha256);
  } catch (error) {
    if (error instanceof BlobNotFoundError) throw new StoredBodyMismatchError(capture.id, capture.url, `its stored body ${sha256} is missing`, { cause: error });
    throw error;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const actual = hash.digest('hex');
  if (actual !== sha256 || (capture.size !== null && size !== capture.size)) {
    throw new StoredBodyMismatchError(
      capture.id,
      capture.url,
      `its stored body (${size} bytes, sha256 ${actual}) is not the one recorded (${capture.size ?? '?'} bytes, sha256 ${sha256})`,
    );
  }
}

/** The captures behind a request: the pages and JSON it was parsed from, and its attachments' fetches. */
async function capturesOf(archive: Archive, requestId: number): Promise<CaptureRow[]> {
  const attachmentCaptures = archive.db
    .select({ id: attachments.captureId })
    .from(attachments)
    .where(eq(attachments.requestId, requestId));
  return archive.db
    .select()
    .from(captures)
    .where(or(eq(captures.requestId, requestId), inArray(captures.id, attachmentCaptures)))
    .orderBy(asc(captures.fetchedAt), asc(captures.id));
}

/**
 * Writes the captures of every request in a result set as WARC/1.1: a warcinfo record, then per capture
 * a request, a response (status line, headers and the stored payload, streamed from the blob store) and
 * a metadata record. Digests are warcio's `sha256:<hex>`, so a response's WARC-Payload-Digest is the
 * archive's sha256 of the original. A stored body that no longer matches it fails the export with
 * StoredBodyMismatchError.
 */
export async function writeWarc(
  archive: Archive,
  query: SearchQuery,
  out: NodeJS.WritableStream,
  options: WarcOptions = {},
): Promise<{ records: number }> {
  const gzip = options.gzip ?? false;
  const requestIds = new Set<number>();
  for await (const row of archive.exportRows({ ...query, limit: undefined, offset: undefined })) requestIds.add(row.requestId);

  const info = WARCRecord.createWARCInfo(
    { filename: `wdtk-archive-${new Date().toISOString().replace(/[:.]/g, '')}.warc${gzip ? '.gz' : ''}`, warcVersion: 'WARC/1.1' },
    {
      software: options.software ?? 'wdtk-archive',
      format: 'WARC File Format 1.1',
      description: 'Captures of archived FOI request threads and their attachments',
      query: JSON.stringify(query),
      requests: String(requestIds.size),
    },
  );
  await writeRecord(out, info, gzip);
  let records = 1;

  const written = new Set<number>();
  for (const requestId of requestIds) {
    for (const capture of await capturesOf(archive, requestId)) {
      if (written.has(capture.id)) continue;
      written.add(capture.id);
      records += await writeCapture(archive, capture, out, gzip);
    }
  }
  return { records };
}

async function writeCapture(archive: Archive, capture: CaptureRow, out: NodeJS.WritableStream, gzip: boolean): Promise<number> {
  const date = capture.fetchedAt.toISOString();
  const responseId = `<urn:uuid:${randomUUID()}>`;
  const request = requestLine(capture);
  await writeRecord(
    out,
    WARCRecord.create(
      {
        url: capture.url,
        date,
        type: 'request',
        warcVersion: 'WARC/1.1',
        statusline: request.statusline,
        httpHeaders: request.headers,
        warcHeaders: { 'WARC-Concurrent-To': responseId },
      },
      empty(),
    ),
    gzip,
  );

  await writeRecord(
    out,
    WARCRecord.create(
      {
        url: capture.url,
        date,
        type: 'response',
        warcVersion: 'WARC/1.1',
        statusline: `HTTP/1.1 ${capture.status} ${STATUS_CODES[capture.status] ?? ''}`.trimEnd(),
        httpHeaders: responseHeaders(capture),
        warcHeaders: { 'WARC-Record-ID': responseId },
      },
      capture.sha256 ? checkedBody(archive, capture, capture.sha256) : empty(),
    ),
    gzip,
  );

  const metadata = {
    captureId: capture.id,
    kind: capture.kind,
    runId: capture.runId,
    requestId: capture.requestId,
    sha256: capture.sha256,
    size: capture.size,
    snapshotPdfSha256: capture.snapshotPdfSha256,
    snapshotPngSha256: capture.snapshotPngSha256,
  };
  await writeRecord(
    out,
    WARCRecord.create(
      {
        url: capture.url,
        date,
        type: 'metadata',
        warcVersion: 'WARC/1.1',
        warcHeaders: { 'WARC-Refers-To': responseId, 'Content-Type': 'application/json' },
      },
      [new TextEncoder().encode(JSON.stringify(metadata))],
    ),
    gzip,
  );
  return 3;
}
