import type { Cell } from 'exceljs';
import { load } from '../../cheerio.js';
import { errorMessage, once, type ExtractContext } from '../context.js';
import type { ExtractResult } from '../types.js';
import { compoundFileFault, summaryInformation } from './ole.js';
import { readContainer } from './zip.js';

// Each library loads with the first document that needs it. In a worker on Node 24, exceljs alone adds about 30 MiB,
// SheetJS 30, mammoth 14: a worker that reads only DOCX files need not hold the spreadsheet readers.
const libraries = {
  exceljs: once(async () => (await import('exceljs')).default),
  mammoth: once(async () => (await import('mammoth')).default),
  sheetJs: once(async () => (await import('xlsx')).default),
  wordExtractor: once(async () => (await import('word-extractor')).default),
};

/** mammoth and exceljs unzip the whole container in memory: inflate-check it under our limits first. */
async function containerIsSafe(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<boolean> {
  return (await readContainer(bytes, ctx, result, () => true, false)) !== undefined;
}

export async function extractDocx(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  if (!(await containerIsSafe(bytes, ctx, result))) return;
  const mammoth = await libraries.mammoth();
  const { value, messages } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
  for (const message of messages.slice(0, 5)) result.warnings.push(`docx: ${message.message}`);
  ctx.addText(result, value.replace(/\n{3,}/g, '\n\n').trim());
}

export async function extractXlsx(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  if (!(await containerIsSafe(bytes, ctx, result))) return;
  const ExcelJS = await libraries.exceljs();
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  if (workbook.title) result.metadata.title = workbook.title;
  if (workbook.creator) result.metadata.author = workbook.creator;
  if (workbook.created instanceof Date && !Number.isNaN(workbook.created.getTime())) result.metadata.created = workbook.created.toISOString();
  if (workbook.modified instanceof Date && !Number.isNaN(workbook.modified.getTime())) result.metadata.modified = workbook.modified.toISOString();
  const sheets = workbook.worksheets.slice(0, ctx.limits.maxPages);
  if (workbook.worksheets.length > sheets.length) result.warnings.push(`only the first ${sheets.length} sheets were read (maxPages)`);
  for (const sheet of sheets) {
    const lines: string[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell) => cells.push(cellText(cell)));
      lines.push(cells.join('\t').trimEnd());
    });
    ctx.addText(result, `${sheet.name}\n${lines.join('\n')}`.trim());
  }
  result.metadata.pageCount = sheets.length;
}

function cellText(cell: Cell): string {
  try {
    return cell.text.replace(/[\t\r\n]+/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Legacy XLS and ODS through SheetJS 0.18.5, the last version on npm. Its known advisories are a prototype
 * pollution when reading crafted files (CVE-2023-30533) and a ReDoS (CVE-2024-22363): so only these two
 * formats go through it (XLSX goes through exceljs), formulae, HTML, styles and VBA are not parsed, and
 * untrusted files belong in extractIsolated, whose worker dies with any polluted prototype.
 */
export async function extractSheetJs(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  const XLSX = await libraries.sheetJs();
  const workbook = XLSX.read(bytes, {
    type: 'buffer',
    cellFormula: false,
    cellHTML: false,
    cellStyles: false,
    cellNF: false,
    bookVBA: false,
    bookFiles: false,
    bookDeps: false,
    dense: true,
  });
  const props = workbook.Props;
  if (props?.Title) result.metadata.title = String(props.Title);
  if (props?.Author) result.metadata.author = String(props.Author);
  const names = workbook.SheetNames.slice(0, ctx.limits.maxPages);
  if (workbook.SheetNames.length > names.length) result.warnings.push(`only the first ${names.length} sheets were read (maxPages)`);
  for (const name of names) {
    const sheet = workbook.Sheets[name];
    const rows = sheet ? XLSX.utils.sheet_to_csv(sheet, { FS: '\t', blankrows: false }) : '';
    ctx.addText(result, `${name}\n${rows.replace(/\t+$/gm, '')}`.trim());
  }
  result.metadata.pageCount = names.length;
}

/** Word 97-2003: text through word-extractor, metadata from the summary information stream beside it. */
export async function extractDoc(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  const fault = compoundFileFault(bytes);
  if (fault) {
    result.warnings.push(`unreadable DOC, damaged container: ${fault}`);
    return;
  }
  try {
    result.metadata = summaryInformation(bytes);
  } catch (error) {
    result.warnings.push(`doc: summary information unreadable: ${errorMessage(error)}`);
  }
  const WordExtractor = await libraries.wordExtractor();
  const document = await new WordExtractor().extract(Buffer.from(bytes));
  const parts = [document.getBody(), document.getFootnotes(), document.getEndnotes(), document.getTextboxes({ includeHeadersAndFooters: false })];
  ctx.addText(result, parts.map((part) => part.trim()).filter(Boolean).join('\n\n'));
}

const ODF_BREAKS = ['text\\:tab', 'text\\:line-break', 'text\\:s'];

/** ODT and ODP: text from content.xml (one page per slide for ODP), metadata from meta.xml. */
export async function extractOpenDocument(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  const members = await readContainer(bytes, ctx, result, (name) => name === 'content.xml' || name === 'meta.xml');
  if (!members) return;
  const meta = members.find((member) => member.name === 'meta.xml');
  if (meta) {
    const $ = load(meta.bytes.toString('utf8'), { xml: true });
    const value = (selector: string) => $(selector).first().text().trim() || undefined;
    const fields = {
      title: value('dc\\:title'),
      author: value('meta\\:initial-creator') ?? value('dc\\:creator'),
      created: value('meta\\:creation-date'),
      modified: value('dc\\:date'),
    };
    for (const [key, field] of Object.entries(fields)) if (field) result.metadata[key as keyof typeof fields] = field;
  }
  const content = members.find((member) => member.name === 'content.xml');
  if (!content) {
    result.warnings.push(`${result.type}: no content.xml`);
    return;
  }
  const $ = load(content.bytes.toString('utf8'), { xml: true });
  $(ODF_BREAKS[0]!).replaceWith('\t');
  $(ODF_BREAKS[1]!).replaceWith('\n');
  $(ODF_BREAKS[2]!).replaceWith(' ');
  const paragraphs = (scope: Parameters<typeof $>[0]) =>
    $(scope)
      .find('text\\:p, text\\:h')
      .map((_, element) => $(element).text())
      .get()
      .join('\n');
  const slides = $('draw\\:page');
  if (slides.length > 0) slides.each((_, slide) => ctx.addPage(result, paragraphs(slide).trim()));
  else ctx.addText(result, paragraphs('office\\:body').trim());
}

/** PPTX: the text runs of each slide, one page per slide. */
export async function extractPptx(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  const slideName = /^ppt\/slides\/slide(\d+)\.xml$/;
  const members = await readContainer(bytes, ctx, result, (name) => slideName.test(name));
  if (!members) return;
  const slideNumber = (name: string) => Number(slideName.exec(name)?.[1]);
  members.sort((a, b) => slideNumber(a.name) - slideNumber(b.name));
  for (const member of members.slice(0, ctx.limits.maxPages)) {
    const $ = load(member.bytes.toString('utf8'), { xml: true });
    const text = $('a\\:p')
      .map((_, paragraph) => $(paragraph).find('a\\:t').text())
      .get()
      .join('\n');
    ctx.addPage(result, text.trim());
  }
  result.metadata.pageCount = members.length;
}
