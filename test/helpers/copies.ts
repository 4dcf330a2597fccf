import type { Archive, AttachmentInput, ReconcileInput } from '../../storage/index.js';

/** The one document (one sha256) every request below holds a copy of. */
export const SHARED_TEXT = 'Winter gritting policy 2024, version 3: priority routes and salt stocks.';

const CAMDEN = { urlName: 'camden_borough_council', name: 'Camden Borough Council' };
const ISLINGTON = { urlName: 'islington_council', name: 'Islington Council' };

/**
 * Requests holding a copy, each with its message's date. Islington's public copy is stored before Camden's, though
 * Camden's came first, so only an order by date (not by id) lists Camden's first.
 */
export const COPY_HOLDERS = {
  islington: { remoteId: 6101, urlTitle: 'gritting_policy_islington', title: 'Gritting policy (Islington)', authority: ISLINGTON, day: '2024-06-01' },
  camden: { remoteId: 6102, urlTitle: 'gritting_policy_camden', title: 'Gritting policy (Camden)', authority: CAMDEN, day: '2024-05-01' },
  hidden: { remoteId: 6103, urlTitle: 'gritting_policy_hidden_copy', title: 'Gritting policy, the copy the site hid', authority: CAMDEN, day: '2024-05-10' },
  removed: { remoteId: 6104, urlTitle: 'gritting_policy_removed_request', title: 'Gritting policy, a request the site removed', authority: ISLINGTON, day: '2024-05-11' },
  backpage: { remoteId: 6105, urlTitle: 'gritting_policy_backpage', title: 'Gritting policy, a request kept off the listings', authority: CAMDEN, day: '2024-05-12' },
  hiddenMessage: { remoteId: 6106, urlTitle: 'gritting_policy_hidden_message', title: 'Gritting policy, in a message the site hid', authority: ISLINGTON, day: '2024-05-13' },
} as const;

export type CopyHolder = keyof typeof COPY_HOLDERS;

interface Holder {
  remoteId: number;
  urlTitle: string;
  title: string;
  authority: { urlName: string; name: string };
  day: string;
}

/** A request whose only message brings `attachments`, sent on the holder's day. */
export function threadOf(holder: Holder, attachments: AttachmentInput[], opts: { prominence?: string; messageHidden?: boolean } = {}): ReconcileInput {
  return {
    remoteId: holder.remoteId,
    urlTitle: holder.urlTitle,
    title: holder.title,
    authority: holder.authority,
    requester: { urlName: 'sam_roe', name: 'Sam Roe' },
    status: 'successful',
    prominence: opts.prominence ?? 'normal',
    remoteCreatedAt: new Date(`${holder.day}T08:00:00Z`),
    events: [
      {
        kind: 'incoming',
        messageId: holder.remoteId * 10,
        time: new Date(`${holder.day}T09:00:00Z`),
        author: holder.authority.name,
        hidden: opts.messageHidden ?? false,
        text: 'Please find the policy attached.',
        attachments,
      },
    ],
  };
}

/**
 * Six copies of one document: public ones to Camden and to Islington, one the site hid, one under a request it
 * removed, one under a backpage request, one in a message the site hid. Camden's request also holds a document nobody else was sent.
 * Returns the attachment id of each copy, and of the unshared document.
 */
export async function seedCopies(archive: Archive, siteId: number): Promise<Record<CopyHolder | 'unshared', number> & { sha256: string }> {
  const blob = await archive.putBlob(Buffer.from(SHARED_TEXT), { contentType: 'text/plain' });
  const unsharedBlob = await archive.putBlob(Buffer.from('Camden salt bin locations, sent to this requester only.'), { contentType: 'text/plain' });
  const copy = (filename: string, hidden = false): AttachmentInput => ({
    remoteId: 2,
    part: 2,
    filename,
    contentType: 'text/plain',
    hidden,
    content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-07-01T10:00:00Z') },
  });
  const unshared: AttachmentInput = {
    remoteId: 3,
    part: 3,
    filename: 'salt bins.txt',
    contentType: 'text/plain',
    hidden: false,
    content: { sha256: unsharedBlob.sha256, size: unsharedBlob.size, fetchedAt: new Date('2024-07-01T10:00:00Z') },
  };
  const h = COPY_HOLDERS;
  await archive.reconcileRequest(siteId, threadOf(h.islington, [copy('islington gritting policy.txt')]), {});
  await archive.reconcileRequest(siteId, threadOf(h.camden, [copy('gritting policy.txt'), unshared]), {});
  await archive.reconcileRequest(siteId, threadOf(h.hidden, [copy('hidden gritting policy.txt', true)]), {});
  await archive.reconcileRequest(siteId, threadOf(h.removed, [copy('removed gritting policy.txt')]), {});
  await archive.markRemoved(siteId, h.removed.remoteId, 'removed at the request of the authority', { status: 410 });
  await archive.reconcileRequest(siteId, threadOf(h.backpage, [copy('backpage gritting policy.txt')], { prominence: 'backpage' }), {});
  await archive.reconcileRequest(siteId, threadOf(h.hiddenMessage, [copy('hidden message gritting policy.txt')], { messageHidden: true }), {});

  const idOf = async (holder: CopyHolder, filename?: string) => {
    const request = await archive.getRequest(h[holder].urlTitle, { includeRemoved: true });
    const attachment = request?.attachments.find((a) => (filename ? a.filename === filename : a.sha256 === blob.sha256));
    if (!attachment) throw new Error(`the copy of ${holder} was not stored`);
    return attachment.id;
  };
  return {
    sha256: blob.sha256,
    islington: await idOf('islington'),
    camden: await idOf('camden'),
    hidden: await idOf('hidden'),
    removed: await idOf('removed'),
    backpage: await idOf('backpage'),
    hiddenMessage: await idOf('hiddenMessage'),
    unshared: await idOf('camden', 'salt bins.txt'),
  };
}
