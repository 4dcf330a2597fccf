import { createRequire } from 'node:module';
import { simpleParser, type AddressObject } from 'mailparser';
import { errorMessage, type ExtractContext } from '../context.js';
import type { ExtractResult } from '../types.js';
import { compoundFileFault } from './ole.js';
import { rtfToText } from './rtf.js';
import { decompressTnefRtf, parseTnef } from './tnef.js';
import { htmlToText } from './text.js';
import { sanitiseEntryName } from './zip.js';

// A CommonJS package whose class is `exports.default`: an ESM default import gives the exports object under Node but
// the class itself under vitest, so take it through require, which gives the exports object everywhere.
const { default: MsgReader } = createRequire(import.meta.url)('@kenjiuno/msgreader') as typeof import('@kenjiuno/msgreader');

export type ExtractAttachment = (bytes: Uint8Array, name: string, contentType?: string) => Promise<void>;

const EXTENSION_BY_CONTENT_TYPE: Record<string, string> = {
  'message/rfc822': '.eml',
  'application/ms-tnef': '.dat',
  'application/vnd.ms-tnef': '.dat',
  'application/pdf': '.pdf',
  'text/plain': '.txt',
  'text/html': '.html',
};

function attachmentName(filename: string | undefined, index: number, contentType: string): string {
  if (filename) return sanitiseEntryName(filename);
  if (contentType === 'message/rfc822') return `attached-message-${index + 1}.eml`;
  if (contentType.includes('tnef')) return 'winmail.dat';
  return `attachment-${index + 1}${EXTENSION_BY_CONTENT_TYPE[contentType] ?? ''}`;
}

function addressText(address: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!address) return undefined;
  const text = (Array.isArray(address) ? address : [address]).map((item) => item.text).join(', ');
  return text || undefined;
}

export async function extractEml(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, extractAttachment: ExtractAttachment): Promise<void> {
  const mail = await simpleParser(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    // mailsplit's own limit is 1,000 parts, past which the whole message, body and all, is refused: take as many as
    // an archive may hold entries.
    maxChildNodes: ctx.limits.maxEntries,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const metadata = {
    subject: mail.subject,
    title: mail.subject,
    from: addressText(mail.from),
    to: addressText(mail.to),
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
  };
  for (const [key, value] of Object.entries(metadata)) if (value) result.metadata[key as keyof typeof metadata] = value;
  let body = mail.text?.trim() ? mail.text : typeof mail.html === 'string' ? htmlToText(mail.html).text : '';
  const uuencoded = extractUuencoded(body);
  body = uuencoded.text;
  ctx.addText(result, body.trim());
  for (const [index, attachment] of mail.attachments.entries()) {
    ctx.checkTime();
    await extractAttachment(attachment.content, attachmentName(attachment.filename, index, attachment.contentType), attachment.contentType);
  }
  for (const file of uuencoded.files) {
    if (file.warning) result.warnings.push(`uuencoded ${JSON.stringify(file.name)}: ${file.warning}`);
    await extractAttachment(file.bytes, file.name);
  }
}

interface UuencodedFile {
  name: string;
  bytes: Buffer;
  warning?: string;
}

/**
 * Older mail clients put attachments inline as uuencoded blocks (`begin 644 name` ... `end`); mailparser
 * leaves them in the text. Lines that do not decode cleanly are decoded as far as they go, with a warning.
 */
export function extractUuencoded(text: string): { text: string; files: UuencodedFile[] } {
  const files: UuencodedFile[] = [];
  const remaining = text.replace(/^begin [0-7]{3,4} ([^\r\n]+)\r?\n([\s\S]*?)^end[ \t]*$/gm, (_block, name: string, body: string) => {
    const chunks: Buffer[] = [];
    let badLines = 0;
    for (const line of body.split(/\r?\n/)) {
      if (line === '' || line === '`') continue;
      const length = (line.charCodeAt(0) - 32) & 63;
      const decoded = Buffer.alloc(Math.ceil(((line.length - 1) * 3) / 4));
      let written = 0;
      for (let i = 1; i < line.length && written < length; i += 4) {
        const quad = [0, 1, 2, 3].map((k) => ((line.charCodeAt(i + k) || 32) - 32) & 63);
        const triple = [(quad[0]! << 2) | (quad[1]! >> 4), ((quad[1]! & 15) << 4) | (quad[2]! >> 2), ((quad[2]! & 3) << 6) | quad[3]!];
        for (const byte of triple) if (written < length) decoded[written++] = byte & 255;
      }
      if (written < length) badLines++;
      chunks.push(decoded.subarray(0, written));
    }
    const file: UuencodedFile = { name: sanitiseEntryName(name.trim()), bytes: Buffer.concat(chunks) };
    if (badLines > 0) file.warning = `${badLines} short lines`;
    files.push(file);
    return '';
  });
  return { text: remaining, files };
}

/** `Name <address>`, preferring the SMTP address: an Exchange sender's own address is an X.500 path. */
function mailbox(name: string | undefined, smtpAddress: string | undefined, address: string | undefined): string {
  const email = smtpAddress || address;
  return [name, email && email !== name && `<${email}>`].filter(Boolean).join(' ');
}

export async function extractMsg(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, extractAttachment: ExtractAttachment): Promise<void> {
  // msgreader follows the container's chains unchecked: a truncated file fails with an unrelated message, a looping one hangs.
  const fault = compoundFileFault(bytes);
  if (fault) {
    result.warnings.push(`unreadable MSG, damaged container: ${fault}`);
    return;
  }
  // MsgReader takes a whole ArrayBuffer, and a Buffer is often a view into a larger one (a pooled slab, a parent
  // ZIP or email): copy exactly the viewed bytes, or it reads the neighbours' bytes as part of the file.
  const reader = new MsgReader(new Uint8Array(bytes).buffer);
  const data = reader.getFileData();
  if (data.error) {
    result.warnings.push(`unreadable MSG: ${data.error}`);
    return;
  }
  const recipients = (data.recipients ?? []).map((recipient) => mailbox(recipient.name, recipient.smtpAddress, recipient.email)).filter(Boolean);
  const date = data.messageDeliveryTime ?? data.clientSubmitTime;
  const metadata = {
    subject: data.subject,
    title: data.subject,
    from: mailbox(data.senderName, data.senderSmtpAddress, data.senderEmail),
    to: recipients.join(', '),
    date: date ? toIsoDate(date) : undefined,
  };
  for (const [key, value] of Object.entries(metadata)) if (value) result.metadata[key as keyof typeof metadata] = value;
  const body = data.body?.trim() ? data.body : data.bodyHtml ? htmlToText(data.bodyHtml).text : '';
  ctx.addText(result, body.replace(/\r\n?/g, '\n').trim());
  for (const [index, attachmentFields] of (data.attachments ?? []).entries()) {
    ctx.checkTime();
    try {
      const attachment = reader.getAttachment(attachmentFields);
      const name = attachment.fileName || attachmentFields.name || `attachment-${index + 1}`;
      await extractAttachment(attachment.content, sanitiseEntryName(name));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExtractError') throw error;
      result.warnings.push(`MSG attachment ${index + 1} unreadable: ${errorMessage(error)}`);
    }
  }
}

function toIsoDate(value: string): string | undefined {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export async function extractTnef(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, extractAttachment: ExtractAttachment): Promise<void> {
  const message = parseTnef(bytes);
  if (message.subject) result.metadata.subject = message.subject;
  let body = message.body?.trim() ? message.body : message.bodyHtml ? htmlToText(message.bodyHtml).text : '';
  if (!body && message.bodyRtf) {
    try {
      body = rtfToText(decompressTnefRtf(message.bodyRtf)).text;
    } catch (error) {
      result.warnings.push(`TNEF compressed RTF body unreadable: ${errorMessage(error)}`);
    }
  }
  if (body.trim()) ctx.addText(result, body.trim());
  for (const attachment of message.attachments) {
    ctx.checkTime();
    await extractAttachment(attachment.data, sanitiseEntryName(attachment.name));
  }
}
