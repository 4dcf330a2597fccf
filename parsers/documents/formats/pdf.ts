import { PDFParse } from 'pdf-parse';
import { errorMessage, type ExtractContext } from '../context.js';
import { ocrImage, renderPdfPage, toolAvailable } from '../ocr.js';
import type { DocumentMetadata, ExtractResult } from '../types.js';

// pdf.js's own guards: no eval of PDF functions, and no decoding of absurd images.
const PDF_LOAD_OPTIONS = { verbosity: 0, isEvalSupported: false, maxImageSize: 100_000_000, stopAtErrors: false } as const;

export async function extractPdf(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  // pdf.js may detach the array it is given; OCR still needs the bytes.
  const parser = new PDFParse({ ...PDF_LOAD_OPTIONS, data: bytes.slice() });
  try {
    const info = await parser.getInfo();
    result.metadata = pdfMetadata(info.info, info.total, info.getDateNode());
    const pageCount = Math.min(info.total, ctx.limits.maxPages);
    if (info.total > pageCount) {
      result.warnings.push(`only the first ${pageCount} of ${info.total} pages were read (maxPages)`);
    }
    ctx.checkTime();
    const text = await parser.getText({ first: pageCount, pageJoiner: '' });
    for (const page of text.pages) ctx.addPage(result, page.text.trim());
  } catch (error) {
    result.warnings.push(`unreadable PDF: ${errorMessage(error)}`);
    return;
  } finally {
    await parser.destroy();
  }
  if (result.pages.length > 0 && result.pages.every((page) => page.text === '')) {
    await ocrPdf(bytes, ctx, result);
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
      const image = await renderPdfPage(bytes, page.number, ctx.msLeft());
      page.text = await ocrImage(image, ctx.msLeft());
    }
  } catch (error) {
    result.needsOcr = true;
    result.warnings.push(`no text layer and OCR failed: ${errorMessage(error)}`);
    return;
  }
  result.ocr = true;
  if (result.pages.every((page) => page.text === '')) {
    result.warnings.push('no text layer, and OCR found no text on any page');
  }
}

function pdfMetadata(info: unknown, pageCount: number, dates: { CreationDate?: Date | null; ModDate?: Date | null }): DocumentMetadata {
  const dictionary = (info ?? {}) as Record<string, unknown>;
  const text = (key: string) => {
    const value = dictionary[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const metadata: DocumentMetadata = { pageCount };
  const fields = { title: text('Title'), author: text('Author'), subject: text('Subject'), producer: text('Producer') };
  for (const [key, value] of Object.entries(fields)) if (value) metadata[key as keyof typeof fields] = value;
  if (isValidDate(dates.CreationDate)) metadata.created = dates.CreationDate.toISOString();
  if (isValidDate(dates.ModDate)) metadata.modified = dates.ModDate.toISOString();
  return metadata;
}

function isValidDate(date: Date | null | undefined): date is Date {
  return date instanceof Date && !Number.isNaN(date.getTime());
}
