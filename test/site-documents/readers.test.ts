import { readFileSync } from 'node:fs';
import chardet from 'chardet';
import * as cheerio from 'cheerio';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { fileTypeFromBuffer } from 'file-type';
import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import mammoth from 'mammoth';
import { PDFParse } from 'pdf-parse';
import { describe, expect, it } from 'vitest';
import { type GeneratedDocument, generateDocument, sampleDocuments } from '../../fixtures/site/documents/index.js';
import { collapse, readZip, sha256 } from './helpers.js';

const seeds = Array.from({ length: 12 }, (_, index) => index * 37 + 3);

async function pdfText(bytes: Uint8Array): Promise<string[]> {
  // pdf.js may detach the buffer it is given, so hand it a copy.
  const parser = new PDFParse({ data: bytes.slice() });
  try {
    return (await parser.getText()).pages.map((page) => page.text);
  } finally {
    await parser.destroy();
  }
}

async function sheetTexts(bytes: Uint8Array): Promise<{ name: string; text: string }[]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return book.worksheets.map((sheet) => {
    const lines: string[] = [];
    sheet.eachRow((row) => {
      const values = (row.values as ExcelJS.CellValue[]).slice(1);
      lines.push(
        values
          .map((value) => (value !== null && typeof value === 'object' && 'result' in value ? String(value.result) : String(value ?? '')))
          .join('\t'),
      );
    });
    return { name: sheet.name, text: lines.join('\n') };
  });
}

function firstSeedWhere(kind: Parameters<typeof generateDocument>[0], test: (document: GeneratedDocument) => boolean): GeneratedDocument {
  for (let seed = 0; seed < 500; seed++) {
    const document = generateDocument(kind, seed);
    if (test(document)) return document;
  }
  throw new Error(`no ${kind} seed below 500 matches`);
}

describe('generated documents read with real extractors', () => {
  it('pdf-parse finds the expected text on every page, and the Info dictionary is set', async () => {
    for (const seed of seeds) {
      const document = generateDocument('pdf', seed);
      expect(document.contentType).toBe('application/pdf');
      const pages = await pdfText(document.bytes);
      expect(pages.map(collapse)).toEqual(document.pages.map(collapse));
    }
    const parser = new PDFParse({ data: generateDocument('pdf', 3).bytes.slice() });
    const info = await parser.getInfo();
    await parser.destroy();
    expect(info.info.Title).toMatch(/^FOI \d{4}\/\d{4} - /);
    expect(info.info.Producer).toBeTruthy();
    expect(info.info.Author).toBeTruthy();
    expect(info.getDateNode().CreationDate?.getUTCFullYear()).toBeGreaterThanOrEqual(2025);
  });

  it('PDF letters read like FOI responses, with redactions, exemptions and figures', () => {
    const text = Array.from({ length: 20 }, (_, seed) => generateDocument('pdf', seed).pages.join('\n')).join('\n');
    expect(text).toMatch(/Our reference: FOI 20\d\d\/\d{4}/);
    expect(text).toContain('[name removed]');
    expect(text).toMatch(/section (40\(2\)|43\(2\)|31\(1\)\(a\)|12|21) of the Act/);
    expect(text).toMatch(/\d,\d{3}/);
  });

  it('a title outside Windows-1252 keeps its letters in a PDF and the text still matches', async () => {
    const document = generateDocument('pdf', 11, { title: 'Cynllun ŵyau – “Cymraeg” 東京', authority: 'Cyngor Gwynedd' });
    expect(document.pages[0]).toContain('Re: Cynllun wyau – “Cymraeg” ??');
    expect((await pdfText(document.bytes)).map(collapse)).toEqual(document.pages.map(collapse));
  });

  it('the scanned PDFs have pages but no text layer', async () => {
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const document = generateDocument('scanned-pdf', seed);
      expect(document.pages).toEqual([]);
      const pages = await pdfText(document.bytes);
      expect(pages.length).toBeGreaterThan(0);
      expect(pages.every((page) => page.trim() === '')).toBe(true);
    }
  });

  it('mammoth reads the docx paragraphs and table', async () => {
    for (const seed of seeds.slice(0, 6)) {
      const document = generateDocument('docx', seed);
      const result = await mammoth.extractRawText({ buffer: Buffer.from(document.bytes) });
      expect(result.messages).toEqual([]);
      expect(document.pages).toHaveLength(1);
      expect(collapse(result.value)).toBe(collapse(document.pages[0] ?? ''));
    }
    const html = await mammoth.convertToHtml({ buffer: Buffer.from(generateDocument('docx', 1).bytes) });
    expect(html.value).toContain('<table>');
  });

  it('exceljs reads every sheet, including the SUM total rows', async () => {
    let sawTotal = false;
    for (const seed of seeds.slice(0, 8)) {
      const document = generateDocument('xlsx', seed);
      const sheets = await sheetTexts(document.bytes);
      expect(sheets.length).toBeGreaterThanOrEqual(1);
      expect(sheets.length).toBeLessThanOrEqual(3);
      expect(sheets.map((sheet) => sheet.text)).toEqual(document.pages);
      expect(sheets[0]?.name).toBe('Summary');
      sawTotal ||= document.pages.some((page) => page.includes('\nTotal\t'));
    }
    expect(sawTotal).toBe(true);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(generateDocument('xlsx', 3).bytes) as unknown as ArrayBuffer);
    expect(book.created.getUTCFullYear()).toBeGreaterThanOrEqual(2025);
  });

  it('csv-parse reads the CSV, with or without an Excel byte order mark', () => {
    const withBom = firstSeedWhere('csv', (document) => document.bytes[0] === 0xef);
    const withoutBom = firstSeedWhere('csv', (document) => document.bytes[0] !== 0xef);
    for (const document of [withBom, withoutBom]) {
      const rows = parseCsv(Buffer.from(document.bytes), { bom: true }) as string[][];
      const expectedRows = (document.pages[0] ?? '').split('\n').map((line) => line.split(','));
      expect(rows).toEqual(expectedRows);
      expect(rows.length).toBeGreaterThan(3);
    }
  });

  it('text files come in UTF-8 and in Latin-1 (undeclared), and both decode to the expected text', () => {
    const isLatin1 = (document: GeneratedDocument) => Buffer.from(document.bytes).toString('utf8').includes('\uFFFD');
    const latin1 = firstSeedWhere('txt', isLatin1);
    const utf8 = firstSeedWhere('txt', (document) => !isLatin1(document));
    expect(latin1.pages[0]).toContain('£');
    expect(latin1.bytes).toContain(0xa3);
    expect(['ISO-8859-1', 'windows-1252']).toContain(chardet.detect(latin1.bytes));
    expect(collapse(iconv.decode(Buffer.from(latin1.bytes), 'latin1'))).toBe(collapse(latin1.pages[0] ?? ''));
    expect(collapse(Buffer.from(utf8.bytes).toString('utf8'))).toBe(collapse(utf8.pages[0] ?? ''));
  });

  it('yauzl lists the zip entries, and each holds its child document', async () => {
    let sawFolder = false;
    for (const seed of seeds.slice(0, 8)) {
      const document = generateDocument('zip', seed);
      const children = document.children ?? [];
      expect(children.length).toBeGreaterThanOrEqual(2);
      expect(children.length).toBeLessThanOrEqual(3);
      const entries = await readZip(document.bytes);
      expect(entries.map((entry) => entry.name)).toEqual(children.map((child) => child.filename));
      entries.forEach((entry, index) => expect(sha256(entry.bytes)).toBe(sha256(children[index]?.bytes ?? new Uint8Array())));
      expect(document.pages).toEqual(children.flatMap((child) => child.pages));
      sawFolder ||= entries.some((entry) => entry.name.startsWith('Annexes/'));
    }
    expect(sawFolder).toBe(true);
  });

  it('office files are valid zips whose parts carry a fixed date', async () => {
    const entries = await readZip(generateDocument('docx', 5).bytes);
    expect(entries.map((entry) => entry.name)).toContain('word/document.xml');
    expect(new Set(entries.map((entry) => entry.lastModified.getTime())).size).toBe(1);
    expect(entries.some((entry) => entry.compressionMethod === 8)).toBe(true);
  });

  it('mailparser reads the forwarded email, its body and its attachment', async () => {
    const attachmentTypes = new Set<string>();
    for (const seed of seeds.slice(0, 8)) {
      const document = generateDocument('eml', seed);
      const [attachment] = document.children ?? [];
      expect(attachment).toBeDefined();
      const mail = await simpleParser(Buffer.from(document.bytes));
      expect(mail.subject).toMatch(/^FW: FOI \d{4}\/\d{4} - /);
      expect(mail.date?.getUTCFullYear()).toBeGreaterThanOrEqual(2025);
      expect(collapse(mail.text ?? '')).toBe(collapse(document.pages[0] ?? ''));
      expect(mail.text).toContain('-----Original Message-----');
      expect(mail.attachments).toHaveLength(1);
      expect(mail.attachments[0]?.filename).toBe(attachment?.filename);
      expect(mail.attachments[0]?.contentType).toBe(attachment?.contentType);
      expect(sha256(mail.attachments[0]?.content ?? Buffer.alloc(0))).toBe(sha256(attachment?.bytes ?? new Uint8Array()));
      expect(document.pages.slice(1)).toEqual(attachment?.pages);
      attachmentTypes.add(attachment?.contentType ?? '');
    }
    expect(attachmentTypes.size).toBeGreaterThan(1);
  });

  it('non-ASCII attachment names survive the email round trip', async () => {
    const document = firstSeedWhere('eml', (candidate) => /[^\x20-\x7e]/.test(candidate.children?.[0]?.filename ?? ''));
    const mail = await simpleParser(Buffer.from(document.bytes));
    expect(mail.attachments[0]?.filename).toBe(document.children?.[0]?.filename);
  });
});

describe('real sample documents', () => {
  const docs = new URL('../../fixtures/docs/', import.meta.url);
  const sampleByName = new Map<string, GeneratedDocument>();
  for (let seed = 0; sampleByName.size < sampleDocuments.length && seed < 500; seed++) {
    const document = generateDocument('sample', seed);
    sampleByName.set(document.filename, document);
  }

  it.each(sampleDocuments)('%s is served byte for byte from fixtures/docs', (name) => {
    const document = sampleByName.get(name);
    expect(document).toBeDefined();
    expect(sha256(document?.bytes ?? new Uint8Array())).toBe(sha256(readFileSync(new URL(name, docs))));
  });

  it.each(sampleDocuments.filter((name) => name.endsWith('.pdf')))('%s: pdf-parse finds the committed expected text', async (name) => {
    const document = sampleByName.get(name);
    expect(document?.pages.length).toBeGreaterThan(0);
    expect((await pdfText(document?.bytes ?? new Uint8Array())).map(collapse)).toEqual(document?.pages.map(collapse));
  });

  it('the PSNI sample is the real two-page FOI response', () => {
    const psni = sampleByName.get('psni.pdf');
    expect(psni?.pages).toHaveLength(2);
    expect(psni?.pages[0]).toContain('F-2010-00325');
  });

  it('the non-PDF samples hold the expected text', async () => {
    const html = cheerio.load(Buffer.from(sampleByName.get('interesting.html')?.bytes ?? []).toString('utf8'));
    html('script').remove();
    expect(collapse(html('body').text())).toBe(collapse(sampleByName.get('interesting.html')?.pages[0] ?? ''));
    expect(Buffer.from(sampleByName.get('interesting.rtf')?.bytes ?? []).toString('latin1')).toContain(
      sampleByName.get('interesting.rtf')?.pages[0] ?? '-',
    );
    expect(collapse(Buffer.from(sampleByName.get('interesting.csv')?.bytes ?? []).toString('utf8'))).toBe(
      collapse(sampleByName.get('interesting.csv')?.pages[0] ?? ''),
    );
    const parrot = sampleByName.get('parrot.jpg');
    expect(parrot?.pages).toEqual([]);
    expect((await fileTypeFromBuffer(parrot?.bytes ?? new Uint8Array()))?.mime).toBe('image/jpeg');
  });

  it('the large example.zip data release is shipped for the parser tests', async () => {
    const entries = await readZip(readFileSync(new URL('example.zip', docs)));
    expect(entries.map((entry) => entry.name)).toEqual(['FOI.txt']);
    expect(entries[0]?.bytes.length).toBeGreaterThan(15_000_000);
  });
});
