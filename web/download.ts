import { Readable } from 'node:stream';
import fresh from 'fresh';
import parseRange from 'range-parser';
import type { Archive, ByteRange } from '../storage/index.js';

// Types a browser would run or render as a document of this origin if it ever displayed them; such
// originals are labelled as opaque bytes (the attachment disposition already makes browsers save them).
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript|application\/x-shockwave-flash)\b/i;

/** A Content-Disposition that any browser saves under the original name, however odd the name. */
export function contentDisposition(filename: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  // Characters no file system accepts in a name, or that would end the quoted header value.
  const clean = filename.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_').trim() || 'download';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/[%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function safeContentType(declared: string | null | undefined): string {
  const type = declared?.trim();
  if (!type || ACTIVE_TYPES.test(type) || !/^[\w.+-]+\/[\w.+-]+/.test(type)) return 'application/octet-stream';
  return type;
}

/**
 * The one byte range a request asks for within `size`, or null to send the whole body: no Range, a malformed one,
 * several ranges (RFC 9110 lets a server ignore Range, and a resumed download asks for one), another unit, or an
 * If-Range naming other content.
 */
function requestedRange(request: Request, etag: string, size: number): ByteRange | 'unsatisfiable' | null {
  const header = request.headers.get('range');
  if (header === null) return null;
  const ifRange = request.headers.get('if-range');
  if (ifRange !== null && ifRange !== etag) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return null;
  const [range] = ranges;
  return range ? { start: range.start, end: range.end } : null;
}

/**
 * Streams an original from the blob store, never read whole into memory. It answers If-None-Match with 304, and a
 * single byte range with 206 (only that range read from the store), so an interrupted download resumes.
 */
export async function blobResponse(
  archive: Archive,
  request: Request,
  blob: { sha256: string; size: number | null; filename: string; contentType: string | null; disposition?: 'attachment' | 'inline' },
): Promise<Response> {
  const etag = `"${blob.sha256}"`;
  const headers = new Headers({
    ETag: etag,
    'Cache-Control': 'private, max-age=3600, immutable',
    'X-Content-Sha256': blob.sha256,
  });
  if (fresh({ 'if-none-match': request.headers.get('if-none-match') ?? undefined, 'cache-control': request.headers.get('cache-control') ?? undefined }, { etag })) {
    return new Response(null, { status: 304, headers });
  }
  headers.set('Content-Type', safeContentType(blob.contentType));
  headers.set('Content-Disposition', contentDisposition(blob.filename, blob.disposition));
  headers.set('Accept-Ranges', 'bytes');
  const size = blob.size ?? (await archive.blobs.stat(blob.sha256))?.size ?? null;
  const range = size === null ? null : requestedRange(request, etag, size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (range) {
    headers.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    headers.set('Content-Length', String(range.end - range.start + 1));
  } else if (size !== null) {
    headers.set('Content-Length', String(size));
  }
  const status = range ? 206 : 200;
  if (request.method === 'HEAD') return new Response(null, { status, headers });
  const stream = await archive.blobs.get(blob.sha256, range ?? undefined);
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
}
