// The pdf.js pdf-parse runs on (the same version, pinned): its reading of PDF dates.
import { OPS, PDFDateString, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PDFParse } from 'pdf-parse';
import { errorMessage, type ExtractContext } from '../context.js';
import { ocrImage, renderPdfPage, toolAvailable } from '../ocr.js';
import type { DocumentMetadata, ExtractResult } from '../types.js';

// pdf.js's own guards: no eval of PDF functions, and no decoding of absurd images.
const PDF_LOAD_OPTIONS = { verbosity: 0, isEvalSupported: false, maxImageSize: 100_000_000, stopAtErrors: false } as const;

const PAINTS_IMAGE = new Set<number>([
  OPS.paintImageXObject,
  OPS.paintImageXObjectRepeat,
  OPS.paintInlineImageXObject,
  OPS.paintInlineImageXObjectGroup,
  OPS.paintImageMaskXObject,
  OPS.paintImageMaskXObjectGroup,
  OPS.paintImageMaskXObjectRepeat,
]);

export async function extractPdf(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  // pdf.js may detach the array it is given; OCR still needs the bytes.
  const parser = new PDFParse({ ...PDF_LOAD_OPTIONS, data: bytes.slice() });
  let scans: number[] = [];
  try {
    // getText and the metadata read one loaded document. pdf-parse's getInfo would also fetch the outline,
    // permissions and page labels we do not keep, a fixed cost a one-page PDF feels; its load() is private
    // only in the typings, and the bracket access is still type-checked against pdf-parse's declarations.
    const document = await parser['load']();
    const { info } = await document.getMetadata();
    result.metadata = pdfMetadata(info, document.numPages);
    const pageCount = Math.min(document.numPages, ctx.limits.maxPages);
    if (document.numPages > pageCount) {
      result.warnings.push(`only the first ${pageCount} of ${document.numPages} pages were read (maxPages)`);
    }
    ctx.checkTime();
    const text = await parser.getText({ first: pageCount, pageJoiner: '' });
    for (const page of text.pages) ctx.addPage(result, page.text.trim());
    const empty = result.pages.filter((page) => page.text === '').map((page) => page.number);
    if (empty.length > 0 && empty.length < result.pages.length) scans = await pagesDrawingPictures(document, empty, ctx);
  } catch (error) {
    result.warnings.push(`unreadable PDF: ${errorMessage(error)}`);
    return;
  } finally {
    await parser.destroy();
  }
  if (result.pages.length > 0 && result.pages.every((page) => page.text === '')) {
    await ocrPdf(bytes, ctx, result);
  } else if (scans.length > 0) {
    await ocrScannedPages(bytes, ctx, result, scans);
  }
}

/** Of the pages with no text, those that draw a picture: scans. A page with neither is blank, and not worth OCR. */
async function pagesDrawingPictures(document: PDFDocumentProxy, pageNumbers: number[], ctx: ExtractContext): Promise<number[]> {
  const pictured: number[] = [];
  for (const number of pageNumbers) {
    ctx.checkTime();
    const page = await document.getPage(number);
    const { fnArray } = await page.getOperatorList();
    if (fnArray.some((op) => PAINTS_IMAGE.has(op))) pictured.push(number);
    page.cleanup();
  }
  return pictured;
}

/**
 * A typed letter followed by scanned pages, as many releases are: the scans are read by OCR. The letter's text is kept
 * whatever becomes of them; a scan OCR could not read is named, and the document marked as needing OCR.
 */
async function ocrScannedPages(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, scans: number[]): Promise<void> {
  const named = (numbers: number[]) => `page${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}`;
  if (!ctx.ocr || !(await toolAvailable('pdftoppm'))) {
    result.needsOcr = true;
    result.warnings.push(`${named(scans)}: a picture with no text layer; OCR is off, or tesseract or pdftoppm is not installed`);
    return;
  }
  const unread: number[] = [];
  let failure = '';
  for (const number of scans) {
    const page = result.pages.find((p) => p.number === number)!;
    try {
      if (ctx.toolMsLeft() <= 0) throw new Error('the time limit was reached');
      page.text = await ocrImage(await renderPdfPage(bytes, number, ctx.toolMsLeft()), ctx.toolMsLeft());
    } catch (error) {
      unread.push(number);
      failure = errorMessage(error);
    }
  }
  result.ocr = true;
  if (unread.length > 0) {
    result.needsOcr = true;
    result.warnings.push(`${named(unread)}: a picture with no text layer, and OCR failed (${failure})`);
  }
}

async function ocrPdf(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  if (!ctx.ocr) {
    result.needsOcr = true;
    result.warnings.push('no text layer: the PDF looks scanned and OCR is off or tesseract is not installed');
    return;
  }
  if (!(await toolAvailable('pdftoppm'))) {
    result.needsOcr = true;
    result.warnings.push('no text layer: the PDF looks scanned and pdftoppm (poppler-utils) is not installed to render it for OCR');
    return;
  }
  try {
    for (const page of result.pages) {
      ctx.checkTime();
      const image = await renderPdfPage(bytes, page.number, ctx.toolMsLeft());
      page.text = await ocrImage(image, ctx.toolMsLeft());
    }
  } catch (error) {
    ctx.checkToolTime();
    result.needsOcr = true;
    result.warnings.push(`no text layer and OCR failed: ${errorMessage(error)}`);
    return;
  }
  result.ocr = true;
  if (result.pages.every((page) => page.text === '')) {
    result.warnings.push('no text layer, and OCR found no text on any page');
  }
}

function pdfMetadata(info: unknown, pageCount: number): DocumentMetadata {
  const dictionary = (info ?? {}) as Record<string, unknown>;
  const text = (key: string) => {
    const value = dictionary[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const metadata: DocumentMetadata = { pageCount };
  const fields = { title: text('Title'), author: text('Author'), subject: text('Subject'), producer: text('Producer') };
  for (const [key, value] of Object.entries(fields)) if (value) metadata[key as keyof typeof fields] = value;
  const created = pdfDate(dictionary['CreationDate']);
  const modified = pdfDate(dictionary['ModDate']);
  if (created) metadata.created = created;
  if (modified) metadata.modified = modified;
  return metadata;
}

/** A PDF date string (`D:YYYYMMDDHHmmSSOHH'mm'`) as ISO 8601 UTC, read by pdf.js itself. */
export function pdfDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return PDFDateString.toDateObject(value)?.toISOString();
}
