import { decompressRTF } from '@kenjiuno/decompressrtf';
import iconv from 'iconv-lite';

// TNEF (winmail.dat) reader after [MS-OXTNEF]. The one npm TNEF package, node-tnef, replaces
// String.prototype.replaceAll process-wide, logs to stdout and copies the file into JS arrays per
// attribute; the format itself is small enough to read directly, with every length checked.

const TNEF_SIGNATURE = 0x223e9f78;
const LEVEL_ATTACHMENT = 0x02;

const ATT_SUBJECT = 0x8004;
const ATT_BODY = 0x800c;
const ATT_ATTACH_DATA = 0x800f;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_REND_DATA = 0x9002;
const ATT_MSG_PROPS = 0x9003;
const ATT_ATTACHMENT = 0x9005;
const ATT_OEM_CODEPAGE = 0x9007;

const PR_SUBJECT = 0x0037;
const PR_BODY = 0x1000;
const PR_RTF_COMPRESSED = 0x1009;
const PR_BODY_HTML = 0x1013;
const PR_ATTACH_DATA = 0x3701;
const PR_ATTACH_LONG_FILENAME = 0x3707;
const PR_ATTACH_FILENAME = 0x3704;

const PT_STRING8 = 0x001e;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;
const PT_OBJECT = 0x000d;
const MV_FLAG = 0x1000;
const FIXED_SIZES: Record<number, number> = { 0x0001: 0, 0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000a: 4, 0x000b: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16 };
const OBJECT_IID_BYTES = 16;

export class TnefFormatError extends Error {
  override readonly name = 'TnefFormatError';
}

export interface TnefAttachment {
  name: string;
  data: Buffer;
}

export interface TnefMessage {
  subject?: string;
  body?: string;
  bodyHtml?: string;
  bodyRtf?: Buffer;
  attachments: TnefAttachment[];
}

interface MapiProperty {
  id: number;
  type: number;
  values: Buffer[];
}

export function parseTnef(bytes: Uint8Array): TnefMessage {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length < 6 || data.readUInt32LE(0) !== TNEF_SIGNATURE) throw new TnefFormatError('no TNEF signature');
  const message: TnefMessage = { attachments: [] };
  let codepage = 'windows-1252';
  let current: { title?: string; longName?: string; data?: Buffer } | undefined;
  const pending: (typeof current & {})[] = [];
  let offset = 6;
  while (offset + 9 <= data.length) {
    const level = data.readUInt8(offset);
    const id = data.readUInt16LE(offset + 1);
    const length = data.readUInt32LE(offset + 5);
    const start = offset + 9;
    if (start + length > data.length) throw new TnefFormatError(`attribute 0x${id.toString(16)} runs past the end of the file`);
    const value = data.subarray(start, start + length);
    offset = start + length + 2;
    if (id === ATT_OEM_CODEPAGE && length >= 4) codepage = `cp${value.readUInt32LE(0)}`;
    else if (id === ATT_ATTACH_REND_DATA) pending.push((current = {}));
    else if (level === LEVEL_ATTACHMENT && current) {
      if (id === ATT_ATTACH_TITLE) current.title = decodeString(value, codepage);
      else if (id === ATT_ATTACH_DATA) current.data = value;
      else if (id === ATT_ATTACHMENT) {
        for (const property of readMapiProperties(value)) {
          const first = property.values[0];
          if (!first) continue;
          if (property.id === PR_ATTACH_LONG_FILENAME || (property.id === PR_ATTACH_FILENAME && !current.longName)) {
            current.longName = propertyString(property.type, first, codepage);
          } else if (property.id === PR_ATTACH_DATA && !current.data) {
            current.data = property.type === PT_OBJECT ? first.subarray(OBJECT_IID_BYTES) : first;
          }
        }
      }
    } else if (id === ATT_SUBJECT) message.subject = decodeString(value, codepage);
    else if (id === ATT_BODY) message.body = decodeString(value, codepage);
    else if (id === ATT_MSG_PROPS) {
      for (const property of readMapiProperties(value)) {
        const first = property.values[0];
        if (!first) continue;
        if (property.id === PR_BODY) message.body ??= propertyString(property.type, first, codepage);
        else if (property.id === PR_BODY_HTML) message.bodyHtml = propertyString(property.type, first, codepage);
        else if (property.id === PR_RTF_COMPRESSED) message.bodyRtf = first;
        else if (property.id === PR_SUBJECT) message.subject ??= propertyString(property.type, first, codepage);
      }
    }
  }
  for (const attachment of pending) {
    if (!attachment.data) continue;
    message.attachments.push({ name: attachment.longName || attachment.title || 'attachment', data: attachment.data });
  }
  return message;
}

/** Decompresses PR_RTF_COMPRESSED into plain RTF bytes. */
export function decompressTnefRtf(compressed: Buffer): Buffer {
  return Buffer.from(decompressRTF([...compressed]));
}

function decodeString(value: Buffer, codepage: string): string {
  const end = value.indexOf(0);
  const text = end === -1 ? value : value.subarray(0, end);
  return iconv.decode(text, iconv.encodingExists(codepage) ? codepage : 'windows-1252');
}

function propertyString(type: number, value: Buffer, codepage: string): string {
  if ((type & ~MV_FLAG) === PT_UNICODE) return value.toString('utf16le').replace(/\0+$/, '');
  if ((type & ~MV_FLAG) === PT_STRING8) return decodeString(value, codepage);
  return value.toString('latin1');
}

/** Reads a MAPI property list; stops, keeping what it has, at the first property it cannot size. */
function readMapiProperties(data: Buffer): MapiProperty[] {
  const properties: MapiProperty[] = [];
  if (data.length < 4) return properties;
  const count = data.readUInt32LE(0);
  let offset = 4;
  const need = (bytes: number) => {
    if (offset + bytes > data.length) throw new TnefFormatError('MAPI property list truncated');
  };
  try {
    for (let index = 0; index < count && offset < data.length; index++) {
      need(4);
      const type = data.readUInt16LE(offset);
      const id = data.readUInt16LE(offset + 2);
      offset += 4;
      if (id >= 0x8000) {
        need(20);
        const kind = data.readUInt32LE(offset + 16);
        offset += 20;
        need(4);
        if (kind === 0) offset += 4;
        else {
          const nameLength = data.readUInt32LE(offset);
          offset += 4 + padded(nameLength);
        }
      }
      const baseType = type & ~MV_FLAG;
      const variable = baseType === PT_STRING8 || baseType === PT_UNICODE || baseType === PT_BINARY || baseType === PT_OBJECT;
      const values: Buffer[] = [];
      if (variable) {
        need(4);
        const valueCount = data.readUInt32LE(offset);
        offset += 4;
        for (let v = 0; v < valueCount; v++) {
          need(4);
          const length = data.readUInt32LE(offset);
          offset += 4;
          need(length);
          values.push(data.subarray(offset, offset + length));
          offset += padded(length);
        }
      } else {
        const size = FIXED_SIZES[baseType];
        if (size === undefined) break;
        let valueCount = 1;
        if (type & MV_FLAG) {
          need(4);
          valueCount = data.readUInt32LE(offset);
          offset += 4;
        }
        need(size * valueCount);
        for (let v = 0; v < valueCount; v++) values.push(data.subarray(offset + v * size, offset + (v + 1) * size));
        offset += size * valueCount;
      }
      properties.push({ id, type, values });
    }
  } catch (error) {
    if (!(error instanceof TnefFormatError)) throw error;
  }
  return properties;
}

function padded(length: number): number {
  return Math.ceil(length / 4) * 4;
}
