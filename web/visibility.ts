import type { AttachmentDetail, AttachmentSummary, RequestDetail } from '../storage/index.js';

// The archive keeps what the site later hid or removed, for its operator; the web UI and API show only what the
// site itself still shows. A hidden message there is its author and date, with no text and no attachments.

/** Why the site no longer serves an attachment (as the 410 body's error and reason), or null while it does. */
export function attachmentGone(a: AttachmentDetail): { error: string; removedAt: Date | null; reason: string | null } | null {
  if (a.request.removedAt) return { error: 'removed from the site', removedAt: a.request.removedAt, reason: a.request.removalReason };
  const gone = (reason: string) => ({ error: 'no longer shown by the site', removedAt: a.removedAt, reason });
  if (a.message?.hidden) return gone('its message is hidden on the site');
  if (a.hidden) return gone('the attachment is hidden on the site');
  if (a.removedAt) return gone('the attachment was removed from the site');
  return null;
}

export const isWithheld = (a: AttachmentSummary) => a.hidden || a.removedAt !== null;

/** A withheld attachment is named, as on the site, but nothing read from its content is shown. */
const withoutWithheldText = (a: AttachmentSummary): AttachmentSummary => (isWithheld(a) ? { ...a, exemptions: null } : a);

/**
 * A page snapshot shows the thread as it was when taken, possibly before a message or attachment was hidden, and
 * when that happened is not recorded: a thread with anything hidden or removed offers none.
 */
export function withholdsSnapshots(request: RequestDetail): boolean {
  return request.events.some((e) => e.hidden) || request.attachments.some(isWithheld);
}

/**
 * The thread as the site shows it: hidden messages without text or attachments, withheld attachments without what
 * their content cites, and no snapshot that may predate either.
 */
export function publicRequest(request: RequestDetail): RequestDetail {
  const hiddenMessages = new Set(request.events.filter((e) => e.hidden && e.kind === 'incoming').map((e) => e.messageId));
  const attachments = request.attachments.filter((a) => !hiddenMessages.has(a.incomingMessageId));
  const dropped = new Set(request.attachments.filter((a) => hiddenMessages.has(a.incomingMessageId)).map((a) => a.captureId));
  const noSnapshots = withholdsSnapshots(request);
  return {
    ...request,
    events: request.events.map((e) => (e.hidden ? { ...e, text: null, exemptions: null, attachments: [] } : { ...e, attachments: e.attachments.map(withoutWithheldText) })),
    attachments: attachments.map(withoutWithheldText),
    captures: request.captures
      .filter((c) => !dropped.has(c.id))
      .map((c) => (noSnapshots ? { ...c, snapshotPdfSha256: null, snapshotPngSha256: null } : c)),
  };
}
