// Builds Outlook .msg files per [MS-OXMSG] in a Compound File Binary container written by SheetJS cfb, so the
// tests can have real MSG bytes without a copy of Outlook: no MSG sample exists in the shared samples.
import CFB, { type CFB$Container } from 'cfb';

export interface MsgRecipient {
  name: string;
  email: string;
}

export interface MsgAttachment {
  /** Long filename (PR_ATTACH_LONG_FILENAME). */
  filename: string;
  data: Uint8Array;
  mimeType?: string;
}

export interface MsgMessage {
  subject: string;
  body: string;
  senderName: string;
  senderEmail: string;
  recipients?: MsgRecipient[];
  attachments?: MsgAttachment[];
  /** PR_CLIENT_SUBMIT_TIME and PR_MESSAGE_DELIVERY_TIME. */
  sentAt?: Date;
}

const PT_LONG = 0x0003;
const PT_SYSTIME = 0x0040;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;

// Property ids ([MS-OXPROPS]).
const PID = {
  messageClass: 0x001a,
  subject: 0x0037,
  clientSubmitTime: 0x0039,
  senderName: 0x0c1a,
  senderEmail: 0x0c1f,
  senderAddressType: 0x0c1e,
  senderSmtpAddress: 0x5d01,
  messageDeliveryTime: 0x0e06,
  messageFlags: 0x0e07,
  body: 0x1000,
  recipientType: 0x0c15,
  displayName: 0x3001,
  addressType: 0x3002,
  emailAddress: 0x3003,
  smtpAddress: 0x39fe,
  rowId: 0x3000,
  attachData: 0x3701,
  attachExtension: 0x3703,
  attachFilename: 0x3704,
  attachMethod: 0x3705,
  attachLongFilename: 0x3707,
  renderingPosition: 0x370b,
  attachMimeTag: 0x370e,
  attachNumber: 0x0e21,
} as const;

const MAPI_TO = 1;
const ATTACH_BY_VALUE = 1;
const MSGFLAG_READ = 0x1;
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const PROPERTY_ENTRY_BYTES = 16;
/** Header of the top-level property stream; recipient and attachment storages use an 8-byte one. */
const TOP_LEVEL_HEADER_BYTES = 32;
const SUB_OBJECT_HEADER_BYTES = 8;
const PROPATTR_READABLE_WRITABLE = 0x6;

type Value = { type: typeof PT_UNICODE; text: string } | { type: typeof PT_BINARY; bytes: Uint8Array } | { type: typeof PT_LONG; number: number } | { type: typeof PT_SYSTIME; date: Date };

const unicode = (text: string): Value => ({ type: PT_UNICODE, text });
const long = (number: number): Value => ({ type: PT_LONG, number });

/** A string property's stream: UTF-16LE without a terminator; the property entry counts the terminator. */
function streamBytes(value: Value): Uint8Array | undefined {
  if (value.type === PT_UNICODE) return Buffer.from(value.text, 'utf16le');
  if (value.type === PT_BINARY) return value.bytes;
  return undefined;
}

function propertyEntry(id: number, value: Value): Buffer {
  const entry = Buffer.alloc(PROPERTY_ENTRY_BYTES);
  entry.writeUInt32LE(((id << 16) | value.type) >>> 0, 0);
  entry.writeUInt32LE(PROPATTR_READABLE_WRITABLE, 4);
  if (value.type === PT_LONG) entry.writeInt32LE(value.number, 8);
  else if (value.type === PT_SYSTIME) entry.writeBigUInt64LE(BigInt(value.date.getTime()) * 10_000n + FILETIME_UNIX_EPOCH, 8);
  else if (value.type === PT_UNICODE) entry.writeUInt32LE(Buffer.byteLength(value.text, 'utf16le') + 2, 8);
  else entry.writeUInt32LE(value.bytes.length, 8);
  return entry;
}

function tagName(id: number, type: number): string {
  return `__substg1.0_${id.toString(16).padStart(4, '0').toUpperCase()}${type.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** Adds one object's streams under `folder`, and its `__properties_version1.0` after `header`. */
function addObject(container: CFB$Container, folder: string, header: Buffer, properties: [number, Value][]): void {
  const entries = properties.map(([id, value]) => propertyEntry(id, value));
  CFB.utils.cfb_add(container, `${folder}/__properties_version1.0`, Buffer.concat([header, ...entries]));
  for (const [id, value] of properties) {
    const bytes = streamBytes(value);
    if (bytes) CFB.utils.cfb_add(container, `${folder}/${tagName(id, value.type)}`, Buffer.from(bytes));
  }
}

export function buildMsg(message: MsgMessage): Buffer {
  const recipients = message.recipients ?? [];
  const attachments = message.attachments ?? [];
  const container = CFB.utils.cfb_new();

  const header = Buffer.alloc(TOP_LEVEL_HEADER_BYTES);
  header.writeUInt32LE(recipients.length, 8); // next recipient id
  header.writeUInt32LE(attachments.length, 12); // next attachment id
  header.writeUInt32LE(recipients.length, 16);
  header.writeUInt32LE(attachments.length, 20);
  const sent: [number, Value][] = message.sentAt
    ? [
        [PID.clientSubmitTime, { type: PT_SYSTIME, date: message.sentAt }],
        [PID.messageDeliveryTime, { type: PT_SYSTIME, date: message.sentAt }],
      ]
    : [];
  addObject(container, '', header, [
    [PID.messageClass, unicode('IPM.Note')],
    [PID.subject, unicode(message.subject)],
    [PID.body, unicode(message.body)],
    [PID.senderName, unicode(message.senderName)],
    [PID.senderAddressType, unicode('SMTP')],
    [PID.senderEmail, unicode(message.senderEmail)],
    [PID.senderSmtpAddress, unicode(message.senderEmail)],
    [PID.messageFlags, long(MSGFLAG_READ)],
    ...sent,
  ]);

  // Named-property mapping: GUID, entry and string streams, empty when no named properties are used.
  for (const stream of ['__substg1.0_00020102', '__substg1.0_00030102', '__substg1.0_00040102']) {
    CFB.utils.cfb_add(container, `/__nameid_version1.0/${stream}`, Buffer.alloc(0));
  }

  const objectId = (index: number) => index.toString(16).padStart(8, '0').toUpperCase();
  recipients.forEach((recipient, index) => {
    addObject(container, `/__recip_version1.0_#${objectId(index)}`, Buffer.alloc(SUB_OBJECT_HEADER_BYTES), [
      [PID.rowId, long(index)],
      [PID.recipientType, long(MAPI_TO)],
      [PID.displayName, unicode(recipient.name)],
      [PID.addressType, unicode('SMTP')],
      [PID.emailAddress, unicode(recipient.email)],
      [PID.smtpAddress, unicode(recipient.email)],
    ]);
  });
  attachments.forEach((attachment, index) => {
    const extension = attachment.filename.match(/\.[^.]*$/)?.[0] ?? '';
    addObject(container, `/__attach_version1.0_#${objectId(index)}`, Buffer.alloc(SUB_OBJECT_HEADER_BYTES), [
      [PID.attachNumber, long(index)],
      [PID.attachMethod, long(ATTACH_BY_VALUE)],
      [PID.renderingPosition, long(-1)],
      [PID.attachLongFilename, unicode(attachment.filename)],
      [PID.attachFilename, unicode(shortName(attachment.filename, extension))],
      [PID.attachExtension, unicode(extension)],
      ...(attachment.mimeType ? ([[PID.attachMimeTag, unicode(attachment.mimeType)]] as [number, Value][]) : []),
      [PID.attachData, { type: PT_BINARY, bytes: attachment.data }],
    ]);
  });
  return CFB.write(container, { type: 'buffer' }) as Buffer;
}

/** An 8.3 name, as Outlook stores next to the long one. */
function shortName(filename: string, extension: string): string {
  const stem = filename.slice(0, filename.length - extension.length).replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return `${stem.slice(0, 6)}~1${extension.slice(0, 4).toUpperCase()}`;
}
