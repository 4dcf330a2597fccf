import { fileTypeFromBuffer } from 'file-type';

export interface SniffHint {
  filename?: string;
  contentType?: string;
}

export interface SniffResult {
  type: string;
  mime: string;
  /** Set when the filename or stated content type names another type than the bytes show. */
  mismatch?: string;
}

const MIME_BY_TYPE: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  msg: 'application/vnd.ms-outlook',
  cfb: 'application/x-cfb',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  rtf: 'application/rtf',
  zip: 'application/zip',
  tnef: 'application/vnd.ms-tnef',
  eml: 'message/rfc822',
  html: 'text/html',
  csv: 'text/csv',
  txt: 'text/plain',
  empty: 'application/x-empty',
  unknown: 'application/octet-stream',
};

const TYPE_BY_EXTENSION: Record<string, string> = {
  pdf: 'pdf', docx: 'docx', xlsx: 'xlsx', pptx: 'pptx', doc: 'doc', xls: 'xls', ppt: 'ppt', msg: 'msg',
  odt: 'odt', ods: 'ods', odp: 'odp', rtf: 'rtf', zip: 'zip', eml: 'eml', html: 'html', htm: 'html',
  csv: 'csv', txt: 'txt', text: 'txt', jpg: 'image', jpeg: 'image', png: 'image', gif: 'image',
  tif: 'image', tiff: 'image', bmp: 'image', webp: 'image',
};

const TYPE_BY_MIME: Record<string, string> = {
  ...Object.fromEntries(Object.entries(MIME_BY_TYPE).map(([type, mime]) => [mime, type])),
  'application/x-pdf': 'pdf',
  'text/rtf': 'rtf',
  'application/x-zip-compressed': 'zip',
  'application/ms-tnef': 'tnef',
  'application/x-msg': 'msg',
};

const IMAGE_EXTENSIONS = new Set(['jpg', 'png', 'gif', 'tif', 'bmp', 'webp', 'jxr', 'jp2', 'heic', 'avif']);

// Types that stand in for one another: a CSV served as text/plain is not a lie.
const COMPATIBLE = [new Set(['txt', 'csv', 'html', 'eml', 'rtf']), new Set(['zip', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp'])];

const TNEF_SIGNATURE = 0x223e9f78;
const SAMPLE_BYTES = 64 * 1024;

/** The real type of a document, from its bytes; the filename and content type are only checked against it. */
export async function sniffType(bytes: Uint8Array, hint: SniffHint = {}): Promise<SniffResult> {
  const { type, mime } = await sniffBytes(bytes);
  const mismatch = describeMismatch(type, hint);
  return mismatch ? { type, mime, mismatch } : { type, mime };
}

async function sniffBytes(bytes: Uint8Array): Promise<{ type: string; mime: string }> {
  if (bytes.length === 0) return typed('empty');
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === TNEF_SIGNATURE) {
    return typed('tnef');
  }
  // A UTF-16 byte order mark is also an MPEG audio frame sync to file-type: Excel's "Unicode Text" and many
  // exported CSVs would be taken for MP1 audio.
  if (utf16Order(bytes) && !looksBinary(headText(bytes.subarray(0, SAMPLE_BYTES)))) return typed(textType(bytes));
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) {
    if (detected.ext === 'cfb') return typed(compoundFileType(bytes));
    if (IMAGE_EXTENSIONS.has(detected.ext)) return { type: 'image', mime: detected.mime };
    if (detected.ext in MIME_BY_TYPE) return { type: detected.ext, mime: detected.mime };
    if (detected.ext !== 'xml') return { type: detected.ext, mime: detected.mime };
  }
  return typed(textType(bytes));
}

function typed(type: string): { type: string; mime: string } {
  return { type, mime: MIME_BY_TYPE[type] ?? 'application/octet-stream' };
}

/** Word, Excel and Outlook files share the OLE container; the stream names inside tell them apart. */
function compoundFileType(bytes: Uint8Array): string {
  const names = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (name: string) => names.includes(Buffer.from(name, 'utf16le'));
  if (has('__substg1.0_')) return 'msg';
  if (has('WordDocument')) return 'doc';
  if (has('Workbook') || has('Book')) return 'xls';
  if (has('PowerPoint Document')) return 'ppt';
  return 'cfb';
}

function utf16Order(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** The sample as characters: UTF-16 after its byte order mark, otherwise a byte a character. */
function headText(sample: Uint8Array): string {
  const order = utf16Order(sample);
  if (order) return new TextDecoder(order).decode(sample.subarray(2));
  return Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength).toString('latin1');
}

function textType(bytes: Uint8Array): string {
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  const head = headText(sample).replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  if (looksBinary(head)) return 'unknown';
  if (/^\s*\{\\rtf/.test(head)) return 'rtf';
  if (looksLikeEmail(head)) return 'eml';
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)\b/i.test(head) ||
    /<(html|body|table|div|p|br)\b[^>]*>/i.test(head.slice(0, 4096))) return 'html';
  if (looksLikeCsv(head)) return 'csv';
  return 'txt';
}

function looksBinary(head: string): boolean {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const code = head.charCodeAt(i);
    if (code === 0) return true;
    if (code < 9 || (code > 13 && code < 32 && code !== 27)) control++;
  }
  return control > head.length / 100;
}

function looksLikeEmail(head: string): boolean {
  const headerBlock = head.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const lines = headerBlock.split(/\r?\n/).filter((line) => !/^[ \t]/.test(line));
  if (lines.length < 2 || !lines.every((line) => /^(From |[!-9;-~]+:)/.test(line))) return false;
  const names = new Set(lines.map((line) => line.split(':', 1)[0]!.toLowerCase()));
  const known = ['from', 'to', 'subject', 'date', 'received', 'message-id', 'mime-version', 'return-path', 'content-type'];
  return known.filter((name) => names.has(name)).length >= 2;
}

function looksLikeCsv(head: string): boolean {
  const lines = head.split(/\r?\n/).slice(0, 20).filter((line) => line.length > 0);
  if (lines.length < 2) return false;
  return [',', '\t', ';'].some((delimiter) => {
    const counts = lines.map((line) => line.split(delimiter).length - 1);
    return counts[0]! > 0 && counts.every((count) => count === counts[0]);
  });
}

function describeMismatch(type: string, hint: SniffHint): string | undefined {
  const claims: string[] = [];
  const extension = hint.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  const byExtension = extension ? TYPE_BY_EXTENSION[extension] : undefined;
  if (byExtension && !sameKind(byExtension, type)) claims.push(`the filename extension .${extension} says ${byExtension}`);
  const mime = hint.contentType?.split(';', 1)[0]?.trim().toLowerCase();
  const byMime = mime ? (mime.startsWith('image/') ? 'image' : TYPE_BY_MIME[mime]) : undefined;
  if (byMime && !sameKind(byMime, type)) claims.push(`the content type ${mime} says ${byMime}`);
  return claims.length > 0 ? `${claims.join(' and ')}, but the content is ${type}` : undefined;
}

function sameKind(claimed: string, actual: string): boolean {
  if (claimed === actual || actual === 'empty') return true;
  return COMPATIBLE.some((group) => group.has(claimed) && group.has(actual));
}
