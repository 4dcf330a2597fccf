import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import CFB from 'cfb';
import ExcelJS from 'exceljs';
import { strToU8, zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import { pdfDate } from '../../parsers/documents/formats/pdf.js';
import { extract, sniffType } from '../../parsers/documents/index.js';
import { buildPdf, imagePdf, letterBlankAndScanPdf, textPdf } from './pdf-builder.js';
import { greyPng } from './png-builder.js';

const run = promisify(execFile);

async function onPath(command: string): Promise<boolean> {
  return run(command, ['-v']).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
}

const CONTENT_TYPES = (main: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
  `<Default Extension="xml" ContentType="application/xml"/>${main}</Types>`;

function docx(paragraphs: string[], extra: Record<string, Uint8Array> = {}): Uint8Array {
  const body = paragraphs.map((text) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`).join('');
  return zipSync({
    '[Content_Types].xml': strToU8(
      CONTENT_TYPES('<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'),
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    'word/document.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    ),
    ...extra,
  });
}

function odt(paragraphs: string[]): Uint8Array {
  const ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
  return zipSync({
    mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }],
    'content.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${ns}><office:body><office:text>` +
        `${paragraphs.map((text) => `<text:p>${text.replace('\t', '<text:tab/>')}</text:p>`).join('')}</office:text></office:body></office:document-content>`,
    ),
    'meta.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' +
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">' +
        '<office:meta><dc:title>Minutes</dc:title><meta:initial-creator>Clerk</meta:initial-creator></office:meta></office:document-meta>',
    ),
    'META-INF/manifest.xml': strToU8('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'),
  });
}

const VT_I2 = 0x02;
const VT_I4 = 0x03;
const VT_LPSTR = 0x1e;
const VT_LPWSTR = 0x1f;
const VT_FILETIME = 0x40;
const int16 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt16LE(value);
  return bytes;
};
const int32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value);
  return bytes;
};
const lpstr = (text: Buffer) => {
  const bytes = Buffer.alloc(4 + text.length + 1);
  bytes.writeUInt32LE(text.length + 1);
  text.copy(bytes, 4);
  return bytes;
};
const lpwstr = (text: string) => {
  const chars = Buffer.from(`${text}\0`, 'utf16le');
  return Buffer.concat([int32(chars.length / 2), chars]);
};
const filetime = (date: Date) => {
  const bytes = Buffer.alloc(8);
  if (date.getTime() !== 0) bytes.writeBigUInt64LE(BigInt(date.getTime() + 11_644_473_600_000) * 10_000n);
  return bytes;
};

/** A `\x05SummaryInformation` property set stream ([MS-OLEPS] 2.21) with one property set. */
function summaryInformationStream(properties: [id: number, type: number, value: Buffer][]): Buffer {
  const padded = (value: Buffer) => Buffer.concat([value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  const values = properties.map(([, type, value]) => {
    const typed = Buffer.alloc(4);
    typed.writeUInt16LE(type);
    return padded(Buffer.concat([typed, value]));
  });
  const tableBytes = 8 + properties.length * 8;
  const table = Buffer.alloc(tableBytes);
  let offset = tableBytes;
  properties.forEach(([id], index) => {
    table.writeUInt32LE(id, 8 + index * 8);
    table.writeUInt32LE(offset, 12 + index * 8);
    offset += values[index]!.length;
  });
  table.writeUInt32LE(offset, 0);
  table.writeUInt32LE(properties.length, 4);
  const header = Buffer.alloc(48);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt32LE(1, 24);
  Buffer.from('e0859ff2f94f6810ab9108002b27b3d9', 'hex').copy(header, 28); // FMTID_SummaryInformation
  header.writeUInt32LE(48, 44);
  return Buffer.concat([header, table, ...values]);
}

describe('PDF metadata', () => {
  it('reads the information dictionary, with dates in UTC whatever zone they were written in', async () => {
    const info = "<< /Title (Board minutes) /Author (Clerk) /Producer (Hand-made) /CreationDate (D:20240305102030+01'00') /ModDate (D:2024) >>";
    const result = await extract(textPdf([['Minutes'], ['Actions']], info), { ocr: false });
    expect(result.metadata).toEqual({
      pageCount: 2,
      title: 'Board minutes',
      author: 'Clerk',
      producer: 'Hand-made',
      created: '2024-03-05T09:20:30.000Z',
      modified: '2024-01-01T00:00:00.000Z',
    });
  });

  it('reads PDF dates the way pdf.js does: missing parts at their lowest, no zone as UTC, west of UTC later', () => {
    expect(pdfDate("D:19991231235959-05'30'")).toBe('2000-01-01T05:29:59.000Z');
    expect(pdfDate('D:20100311152246Z')).toBe('2010-03-11T15:22:46.000Z');
    expect(pdfDate('D:201003')).toBe('2010-03-01T00:00:00.000Z');
    expect(pdfDate('D:20101399')).toBe('2010-01-01T00:00:00.000Z');
    expect(pdfDate('11 March 2010')).toBeUndefined();
    expect(pdfDate(undefined)).toBeUndefined();
  });
});

describe('office formats', () => {
  it('reads DOCX text with mammoth', async () => {
    const result = await extract(docx(['Dear Requester,', 'Please find the minutes attached.']), { filename: 'reply.docx' });
    expect(result.type).toBe('docx');
    expect(result.pages).toEqual([{ number: 1, text: 'Dear Requester,\n\nPlease find the minutes attached.' }]);
    expect(result.warnings).toEqual([]);
  });

  it('refuses a DOCX that is a zip bomb before mammoth unzips it', async () => {
    const bomb = docx(['harmless'], { 'word/media/padding.bin': new Uint8Array(32 * 1024 * 1024) });
    const result = await extract(bomb);
    expect(result.type).toBe('docx');
    expect(result.pages).toEqual([]);
    expect(result.warnings.join('\n')).toMatch(/DOCX not extracted: word\/media\/padding.bin: compression ratio \d+:1 exceeds 200:1/);
  });

  it('reads each XLSX sheet as a page of tab-separated cells', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.creator = 'Finance Team';
    workbook.addWorksheet('Spending').addRows([
      ['Supplier', 'Amount'],
      ['Acme Ltd', 1200.5],
    ]);
    workbook.addWorksheet('Notes').addRow(['Figures exclude VAT']);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const result = await extract(bytes, { filename: 'spending.xlsx' });
    expect(result.type).toBe('xlsx');
    expect(result.pages).toEqual([
      { number: 1, text: 'Spending\nSupplier\tAmount\nAcme Ltd\t1200.5' },
      { number: 2, text: 'Notes\nFigures exclude VAT' },
    ]);
    expect(result.metadata).toMatchObject({ author: 'Finance Team', pageCount: 2 });
  });

  it('reads legacy XLS and ODS through SheetJS', async () => {
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['Request', 'Days'], ['FOI-1', 20]]), 'Log');
    for (const bookType of ['biff8', 'ods'] as const) {
      const bytes = new Uint8Array(XLSX.write(book, { type: 'buffer', bookType }) as Buffer);
      const result = await extract(bytes);
      expect(result.type, bookType).toBe(bookType === 'biff8' ? 'xls' : 'ods');
      expect(result.pages, bookType).toEqual([{ number: 1, text: 'Log\nRequest\tDays\nFOI-1\t20' }]);
    }
  });

  it('reads legacy DOC metadata from the summary information stream, in its code page, even when the text is unreadable', async () => {
    const created = new Date('2009-12-02T12:56:00Z');
    const container = CFB.utils.cfb_new();
    CFB.utils.cfb_add(
      container,
      '/\u0005SummaryInformation',
      summaryInformationStream([
        [1, VT_I2, int16(1252)],
        [2, VT_LPSTR, lpstr(iconv.encode('Réponse à la demande', 'windows-1252'))],
        [3, VT_LPSTR, lpstr(Buffer.alloc(0))],
        [4, VT_LPWSTR, lpwstr('Zoë Ŵyn')],
        [12, VT_FILETIME, filetime(created)],
        [13, VT_FILETIME, Buffer.alloc(8)],
        [14, VT_I4, int32(3)],
        [18, VT_LPSTR, lpstr(Buffer.from('Microsoft Office Word'))],
      ]),
    );
    CFB.utils.cfb_add(container, '/WordDocument', Buffer.alloc(1024));
    const bytes = CFB.write(container, { type: 'buffer' }) as Buffer;

    const result = await extract(bytes, { filename: 'reply.doc' });
    expect(result.type).toBe('doc');
    expect(result.metadata).toEqual({
      title: 'Réponse à la demande',
      author: 'Zoë Ŵyn',
      created: '2009-12-02T12:56:00.000Z',
      pageCount: 3,
      producer: 'Microsoft Office Word',
    });
    expect(result.pages).toEqual([]);
    expect(result.warnings.join('\n')).toMatch(/^unreadable doc: /);

    const truncated = await extract(bytes.subarray(0, bytes.length - 1024), { filename: 'reply.doc' });
    expect(truncated.type).toBe('doc');
    expect(truncated.metadata).toEqual({});
    expect(truncated.warnings).toEqual([expect.stringMatching(/^unreadable DOC, damaged container: truncated: it refers to \d+ sectors of 512 bytes and holds \d+$/)]);
  });

  it('reads ODT paragraphs and metadata', async () => {
    const result = await extract(odt(['Minutes of the meeting', 'Item\tAgreed']));
    expect(result.type).toBe('odt');
    expect(result.pages).toEqual([{ number: 1, text: 'Minutes of the meeting\nItem\tAgreed' }]);
    expect(result.metadata).toMatchObject({ title: 'Minutes', author: 'Clerk' });
  });
});

describe('text formats', () => {
  it('detects legacy charsets in plain text', async () => {
    const letter = ['Café réponse: « déjà vu » — voilà, naïve façade, où est le problème?', 'Merci.', 'Bien à vous, le délégué'].join('\n');
    const latin1 = iconv.encode(letter, 'windows-1252');
    const result = await extract(latin1, { filename: 'reply.txt' });
    expect(result.type).toBe('txt');
    expect(result.pages[0]!.text.split('\n')[0]).toBe('Café réponse: « déjà vu » — voilà, naïve façade, où est le problème?');
    expect(result.warnings[0]).toBe('decoded as windows-1252');
  });

  it.each([
    ['Fee: £25.00', 'windows-1252'],
    ['£1,000,000', 'windows-1252'],
    ['Cost £100', 'windows-1252'],
    ['Name,Cost (£)\nA,100\nB,200', 'windows-1252'],
    ['Ref 12 – £3 “quoted”, €4', 'windows-1252'],
    ['Привет, это русский текст про бюджет городского совета.', 'windows-1251'],
    ['Zażółć gęślą jaźń — to jest polski tekst o wydatkach rady miejskiej, którą prowadzimy.', 'windows-1250'],
  ])('reads a short legacy text as windows-1252 unless sure of another charset: %j', async (text, charset) => {
    const result = await extract(iconv.encode(text, charset), { filename: 'costs.txt' });
    expect(result.pages[0]!.text).toBe(text);
    expect(result.warnings).toEqual([`decoded as ${charset}`]);
  });

  it('honours an HTML meta charset and keeps block structure', async () => {
    const html = iconv.encode(
      '<html><head><meta charset="windows-1252"><title>Disclosure log</title><style>p{color:red}</style></head>' +
        '<body><h1>Disclosure</h1><p>Fee: £25</p><table><tr><td>A</td><td>B</td></tr></table><noscript>enable js</noscript></body></html>',
      'windows-1252',
    );
    const result = await extract(html);
    expect(result.type).toBe('html');
    expect(result.metadata.title).toBe('Disclosure log');
    expect(result.pages[0]!.text).toBe('Disclosure\nFee: £25\nA\tB');
  });

  it('reads RTF unicode escapes, hex escapes and the info title', async () => {
    const rtf = String.raw`{\rtf1\ansi\ansicpg1252\uc1{\info{\title Response letter}{\author FOI Officer}}{\fonttbl{\f0 Arial;}}\f0 Caf\'e9 \u8364? 10\par Second\tab line}`;
    const result = await extract(Buffer.from(rtf, 'latin1'));
    expect(result.pages[0]!.text).toBe('Café € 10\nSecond\tline');
    expect(result.metadata).toMatchObject({ title: 'Response letter', author: 'FOI Officer' });
  });

  it('sniffs email, HTML and CSV from content whatever the name says', async () => {
    const email = Buffer.from('From: a@example.org\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nBody');
    expect((await sniffType(email, { filename: 'message.txt' })).type).toBe('eml');
    expect((await sniffType(Buffer.from('<!DOCTYPE html><p>x</p>'))).type).toBe('html');
    expect(await sniffType(Buffer.from('a;b;c\n1;2;3\n'), { filename: 'x.csv', contentType: 'text/plain' })).toEqual({ type: 'csv', mime: 'text/csv' });
  });

  it('reads UTF-16 text with a byte order mark, as Excel saves "Unicode Text", rather than take it for audio', async () => {
    const sheet = 'Ref\tName\tAmount\r\nA1\tCafé Señor\t£12.50\r\nA2\tZoë Brontë\t€7\r\n';
    const littleEndian = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(sheet, 'utf-16le')]);
    const result = await extract(littleEndian, { filename: 'spending.txt', ocr: false });
    expect(result).toMatchObject({ type: 'csv', warnings: ['decoded as utf-16le'] });
    expect(result.pages[0]!.text).toBe(sheet.trim());

    const html = iconv.encode('\ufeff<html><body><p>Disclosure log</p></body></html>', 'utf-16be');
    expect((await sniffType(html)).type).toBe('html');
  });

  it('cuts a long text without line breaks into pages, never between the halves of a character', async () => {
    const line = `A${'😀'.repeat(60_000)}`;
    const result = await extract(Buffer.from(line), { ocr: false });
    expect(result.pages.map((page) => page.text.length)).toEqual([99_999, 20_002]);
    expect(result.pages.map((page) => page.text).join('')).toBe(line);
  });

  it('accepts a Node stream or an async iterable as input', async () => {
    const fromStream = await extract(Readable.from([Buffer.from('first '), Buffer.from('second')]));
    expect(fromStream.pages[0]!.text).toBe('first second');
    async function* chunks() {
      yield strToU8('third');
    }
    expect((await extract(chunks())).pages[0]!.text).toBe('third');
  });
});

/** A page scanned at 100 dpi, as a 827 x 1170 greyscale JPEG: what a scanner makes of a printed letter. */
function scanOf(pdf: Buffer): Promise<Buffer> {
  const child = execFile('pdftoppm', ['-r', '100', '-gray', '-jpeg', '-scale-to-x', '827', '-scale-to-y', '1170', '-singlefile', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`pdftoppm exited ${code}`))));
    child.stdin!.end(pdf);
  });
}

describe('OCR', () => {
  it('reads a scanned page (an image-only PDF) and a picture of text with tesseract, or says OCR is needed', async () => {
    const tools = (await onPath('tesseract')) && (await onPath('pdftoppm'));
    const letter = textPdf([['FREEDOM OF INFORMATION RESPONSE', '', 'Your request has been granted in full.']]);
    if (!tools) {
      const scanned = await extract(imagePdf(new Uint8Array(), 10, 10));
      expect(scanned.needsOcr).toBe(true);
      return;
    }
    const picture = await scanOf(letter);

    const image = await extract(picture, { filename: 'scan.jpg' });
    expect(image).toMatchObject({ type: 'image', ocr: true, needsOcr: false });
    expect(image.pages[0]!.text).toMatch(/FREEDOM OF INFORMATION RESPONSE/);

    const scanned = await extract(imagePdf(picture, 827, 1170), { filename: 'scan.pdf' });
    expect(scanned).toMatchObject({ type: 'pdf', ocr: true, needsOcr: false });
    expect(scanned.pages[0]!.text).toMatch(/request has been granted in full/);

    const withoutOcr = await extract(imagePdf(picture, 827, 1170), { ocr: false });
    expect(withoutOcr.needsOcr).toBe(true);
  });

  it('reads the scanned pages after a typed letter, skips a blank page, and keeps the letter whatever OCR does', { timeout: 60_000 }, async () => {
    const letterLines = ['Dear Ms Smith,', 'Please find the requested information enclosed.'];
    const withOcr = (await onPath('tesseract')) && (await onPath('pdftoppm'));
    const scan = withOcr ? await scanOf(textPdf([['ANNEX A: GRITTING ROUTES', '', 'Route seven covers the ring road.']])) : new Uint8Array();
    const release = letterBlankAndScanPdf(letterLines, scan, 827, 1170);

    const withoutOcr = await extract(release, { ocr: false });
    expect(withoutOcr.pages.map((page) => page.text)).toEqual([letterLines.join('\n'), '', '']);
    expect(withoutOcr).toMatchObject({ needsOcr: true, warnings: ['page 3: a picture with no text layer; OCR is off, or tesseract or pdftoppm is not installed'] });
    if (!withOcr) return;

    const read = await extract(release, { filename: 'release.pdf' });
    expect(read).toMatchObject({ type: 'pdf', ocr: true, needsOcr: false, warnings: [] });
    expect(read.pages[0]!.text).toBe(letterLines.join('\n'));
    expect(read.pages[1]!.text).toBe('');
    expect(read.pages[2]!.text).toMatch(/Route seven covers the ring road/);
  });

  it('keeps OCR of a picture or a page asking for a giant bitmap within the memory limit', { timeout: 120_000 }, async () => {
    if (!((await onPath('tesseract')) && (await onPath('pdftoppm')))) return;
    // Under 1 MB of PNG, 576 megapixels: tesseract went to over 2 GB, far past the worker's 1 GB, before giving up.
    const bomb = await extract(greyPng(24_000, 24_000), { filename: 'scan.png', timeoutMs: 25_000 });
    expect(bomb).toMatchObject({ type: 'image', needsOcr: true });
    expect(bomb.warnings).toEqual([expect.stringMatching(/^image: OCR failed: tesseract exited with 1/)]);

    // An empty page of 200 x 200 inches: pdftoppm took 3.1 GB and a minute to render it whole.
    const page = buildPdf([
      { body: '<< /Type /Catalog /Pages 2 0 R >>' },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>' },
      { body: '<< >>', stream: '' },
    ]);
    const huge = await extract(page, { filename: 'plan.pdf', timeoutMs: 40_000 });
    expect(huge).toMatchObject({ type: 'pdf', ocr: true, needsOcr: false });
    expect(huge.warnings).toEqual(['no text layer, and OCR found no text on any page']);
  });
});

