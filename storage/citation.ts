import type { AttachmentDetail } from './types.js';

/**
 * A citation to paste for an original: the authority, the filename, when it was sent, the request it answered with
 * its address on the site, and where and when the original was retrieved with its SHA-256, so that a reader can check
 * that the copy they obtain is the one cited. Null for an attachment not downloaded.
 */
export function attachmentCitation(a: AttachmentDetail): string | null {
  const source = a.capture?.url ?? a.sourceUrl;
  if (!a.sha256 || !source) return null;
  const requestUrl = `${new URL(source).origin}/request/${encodeURIComponent(a.request.urlTitle)}`;
  const sent = a.message?.time ? `, sent ${a.message.time.toISOString().slice(0, 10)}` : '';
  const retrieved = a.capture?.fetchedAt ?? a.fetchedAt;
  return (
    `${a.request.authority.name}, “${a.filename ?? `attachment ${a.id}`}”${sent}, in reply to the FOI request “${a.request.title}” (${requestUrl}). ` +
    `Original retrieved from ${source}${retrieved ? ` on ${retrieved.toISOString()}` : ''}; SHA-256 ${a.sha256}.`
  );
}
