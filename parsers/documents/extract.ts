import { ExtractContext, emptyResult, errorMessage, once } from './context.js';
import { ocrImage, toolAvailable } from './ocr.js';
import { sniffType, type SniffHint } from './sniff.js';
import { DEFAULT_LIMITS, DEFAULT_TIMEOUT_MS, ExtractError, type ExtractOptions, type ExtractResult } from './types.js';

export type ExtractInput = Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

type Handler = (bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, depth: number) => Promise<void> | void;

// Format libraries (pdf.js, exceljs, mammoth, mailparser...) load on first use: a process that only parses
// site pages, or hands documents to worker threads, never pays their few hundred MB, and an extraction worker pays
// only for the formats its documents are in.
const formats = {
  email: once(() => import('./formats/email.js')),
  office: once(() => import('./formats/office.js')),
  ole: once(() => import('./formats/ole.js')),
  pdf: once(() => import('./formats/pdf.js')),
  rtf: once(() => import('./formats/rtf.js')),
  text: once(() => import('./formats/text.js')),
  zip: once(() => import('./formats/zip.js')),
};

const HANDLERS: Record<string, Handler> = {
  pdf: async (bytes, ctx, result) => (await formats.pdf()).extractPdf(bytes, ctx, result),
  docx: async (bytes, ctx, result) => (await formats.office()).extractDocx(bytes, ctx, result),
  xlsx: async (bytes, ctx, result) => (await formats.office()).extractXlsx(bytes, ctx, result),
  pptx: async (bytes, ctx, result) => (await formats.office()).extractPptx(bytes, ctx, result),
  xls: async (bytes, ctx, result) => (await formats.office()).extractSheetJs(bytes, ctx, result),
  ods: async (bytes, ctx, result) => (await formats.office()).extractSheetJs(bytes, ctx, result),
  doc: async (bytes, ctx, result) => (await formats.office()).extractDoc(bytes, ctx, result),
  odt: async (bytes, ctx, result) => (await formats.office()).extractOpenDocument(bytes, ctx, result),
  odp: async (bytes, ctx, result) => (await formats.office()).extractOpenDocument(bytes, ctx, result),
  rtf: async (bytes, ctx, result) => (await formats.rtf()).extractRtf(bytes, ctx, result),
  html: async (bytes, ctx, result) => (await formats.text()).extractHtml(bytes, ctx, result),
  txt: async (bytes, ctx, result) => (await formats.text()).extractPlainText(bytes, ctx, result),
  csv: async (bytes, ctx, result) => (await formats.text()).extractPlainText(bytes, ctx, result),
  image: (bytes, ctx, result) => extractImage(bytes, ctx, result),
  cfb: async (bytes, _ctx, result) => {
    const fault = (await formats.ole()).compoundFileFault(bytes);
    result.warnings.push(fault ? `damaged OLE compound file: ${fault}` : 'OLE compound file without Word, Excel, PowerPoint or Outlook streams: not read');
  },
  zip: async (bytes, ctx, result, depth) => (await formats.zip()).extractZip(bytes, ctx, result, (child, name) => extractChild(child, { filename: name }, ctx, result, depth)),
  eml: async (bytes, ctx, result, depth) =>
    (await formats.email()).extractEml(bytes, ctx, result, (child, name, contentType) =>
      extractChild(child, contentType ? { filename: name, contentType } : { filename: name }, ctx, result, depth),
    ),
  msg: async (bytes, ctx, result, depth) => (await formats.email()).extractMsg(bytes, ctx, result, (child, name) => extractChild(child, { filename: name }, ctx, result, depth)),
  tnef: async (bytes, ctx, result, depth) => (await formats.email()).extractTnef(bytes, ctx, result, (child, name) => extractChild(child, { filename: name }, ctx, result, depth)),
};

/** Extracts searchable text in this process. Use extractIsolated for documents from outside. */
export async function extract(input: ExtractInput, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const ctx = await createContext(opts);
  const bytes = await readInput(input, ctx.limits.maxBytes);
  return extractBytes(bytes, hintOf(opts), ctx, 0);
}

export async function createContext(opts: ExtractOptions): Promise<ExtractContext> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ocr = opts.ocr ?? (await toolAvailable('tesseract'));
  return new ExtractContext(limits, ocr, Date.now() + timeoutMs, timeoutMs);
}

function hintOf(opts: ExtractOptions): SniffHint {
  const hint: SniffHint = {};
  if (opts.filename) hint.filename = opts.filename;
  if (opts.contentType) hint.contentType = opts.contentType;
  return hint;
}

async function readInput(input: ExtractInput, maxBytes: number): Promise<Uint8Array> {
  if (input instanceof Uint8Array) {
    if (input.length > maxBytes) throw tooLarge(input.length, maxBytes);
    return input;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) throw tooLarge(size, maxBytes);
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof ExtractError) throw error;
    throw new ExtractError('unreadable', `could not read the input: ${errorMessage(error)}`);
  }
  return Buffer.concat(chunks);
}

export function tooLarge(size: number, maxBytes: number): ExtractError {
  return new ExtractError('too_large', `input of ${size}${size > maxBytes ? '+' : ''} bytes exceeds maxBytes ${maxBytes}`);
}

export async function extractBytes(bytes: Uint8Array, hint: SniffHint, ctx: ExtractContext, depth: number): Promise<ExtractResult> {
  const sniffed = await sniffType(bytes, hint);
  const result = emptyResult(sniffed.type, sniffed.mime);
  if (sniffed.mismatch) result.warnings.push(sniffed.mismatch);
  if (sniffed.type === 'empty') {
    result.warnings.push('empty file: no text');
    return result;
  }
  const handler = HANDLERS[sniffed.type];
  if (!handler) {
    result.warnings.push(`format not supported: ${sniffed.type} (${sniffed.mime})`);
    return result;
  }
  ctx.checkTime();
  try {
    await handler(bytes, ctx, result, depth);
  } catch (error) {
    if (error instanceof ExtractError) throw error;
    result.warnings.push(`unreadable ${sniffed.type}: ${errorMessage(error)}`);
  }
  return result;
}

async function extractChild(bytes: Uint8Array, hint: SniffHint & { filename: string }, ctx: ExtractContext, parent: ExtractResult, depth: number): Promise<void> {
  ctx.checkTime();
  const name = hint.filename;
  if (depth + 1 > ctx.limits.maxDepth) {
    const sniffed = await sniffType(bytes, hint);
    parent.children.push({
      name,
      ...emptyResult(sniffed.type, sniffed.mime),
      warnings: [`not extracted: nested more than ${ctx.limits.maxDepth} levels deep (maxDepth)`],
    });
    return;
  }
  if (bytes.length > ctx.limits.maxBytes) {
    const sniffed = await sniffType(bytes.subarray(0, 4100), hint);
    parent.children.push({ name, ...emptyResult(sniffed.type, sniffed.mime), warnings: [tooLarge(bytes.length, ctx.limits.maxBytes).message] });
    return;
  }
  parent.children.push({ name, ...(await extractBytes(bytes, hint, ctx, depth + 1)) });
}

async function extractImage(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): Promise<void> {
  if (!ctx.ocr) {
    result.needsOcr = true;
    result.warnings.push('image: OCR is off or tesseract is not installed, so no text');
    return;
  }
  try {
    const text = await ocrImage(bytes, ctx.toolMsLeft());
    result.ocr = true;
    if (text) ctx.addPage(result, text);
    else result.warnings.push('image: OCR found no text');
  } catch (error) {
    ctx.checkToolTime();
    result.needsOcr = true;
    result.warnings.push(`image: OCR failed: ${errorMessage(error)}`);
  }
}
