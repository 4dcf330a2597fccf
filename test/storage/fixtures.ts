import type { Archive, ReconcileInput } from '../../storage/index.js';

export const SITE = 'http://127.0.0.1:3999';

/** A parsed thread as the crawler would hand it over; tweak per test. */
export function thread(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    remoteId: 101,
    urlTitle: 'bin_collection_contracts',
    title: 'Bin collection contracts',
    authority: { remoteId: 7, urlName: 'leeds_city_council', name: 'Leeds City Council' },
    requester: { remoteId: 3, urlName: 'alice_smith', name: 'Alice Smith' },
    describedState: 'successful',
    status: 'successful',
    statusLabel: 'Successful',
    prominence: 'normal',
    remoteCreatedAt: new Date('2023-03-01T10:00:00Z'),
    remoteUpdatedAt: new Date('2023-04-01T10:00:00Z'),
    remoteEventIds: [1, 2],
    events: [
      { kind: 'outgoing', messageId: 11, eventId: 1, time: new Date('2023-03-01T10:00:00Z'), author: 'Alice Smith', hidden: false,
        text: 'Please send the waste management contracts for refuse collection.', attachments: [] },
      { kind: 'incoming', messageId: 21, eventId: 2, time: new Date('2023-03-20T10:00:00Z'), author: 'Leeds City Council', hidden: false,
        text: 'Please find the contracts attached.', attachments: [] },
    ],
    ...overrides,
  };
}

export async function storeDoc(archive: Archive, text: string) {
  return archive.putBlob(Buffer.from(`%PDF-1.4\n${text}`));
}
