import { Readable } from 'node:stream';
import type { Archive } from '../storage/index.js';

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

/** Streams an original from the blob store: never read whole into memory. */
export async function blobResponse(
  archive: Archive,
  blob: { sha256: string; size: number | null; filename: string; contentType: string | null; disposition?: 'attachment' | 'inline' },
): Promise<Response> {
  const stream = await archive.blobs.get(blob.sha256);
  const headers = new Headers({
    'Content-Type': safeContentType(blob.contentType),
    'Content-Disposition': contentDisposition(blob.filename, blob.disposition),
    'X-Content-Sha256': blob.sha256,
    ETag: `"${blob.sha256}"`,
    'Cache-Control': 'private, max-age=3600, immutable',
  });
  if (blob.size !== null) headers.set('Content-Length', String(blob.size));
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status: 200, headers });
}
