import { ExtractError, type ExtractLimits, type ExtractResult } from './types.js';

/** The first call's promise, kept: under tsx every import() asks the loader thread again (about 1 ms a document). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

/**
 * Most characters in a page cut from text that has no pages of its own. A page is indexed as one tsvector, which
 * Postgres takes only from a page's first 400,000 characters (and holds in at most 1 MB): a text file, Word
 * document or sheet kept as one page had the rest of its words unsearchable.
 */
export const FLOWING_PAGE_CHARS = 100_000;

/** How long before the document's time limit a running tool is killed: ample for this thread's timer to fire. */
const TOOL_STOP_MARGIN_MS = 1_000;

/** State shared by a document and everything nested in it, so limits hold for the whole tree. */
export class ExtractContext {
  private textLeft: number;
  private textCapWarned = false;
  uncompressedTotal = 0;
  entriesRead = 0;

  constructor(
    readonly limits: ExtractLimits,
    readonly ocr: boolean,
    private readonly deadline: number,
    readonly timeoutMs: number,
  ) {
    this.textLeft = limits.maxTextChars;
  }

  msLeft(): number {
    return this.deadline - Date.now();
  }

  /**
   * Time a command-line tool (tesseract, pdftoppm) may take. This thread must kill it before extractIsolated's timer
   * ends the thread: a process the thread started outlives it, running on and never reaped.
   */
  toolMsLeft(): number {
    return this.msLeft() - TOOL_STOP_MARGIN_MS;
  }

  /** After a tool failed: when that was for want of time, the document as a whole has run out of it. */
  checkToolTime(): void {
    if (this.toolMsLeft() <= 0) throw new ExtractError('timeout', `extraction took longer than ${this.timeoutMs} ms`);
  }

  /** Cooperative time check between steps; extractIsolated also enforces the limit from outside. */
  checkTime(): void {
    if (Date.now() > this.deadline) {
      throw new ExtractError('timeout', `extraction took longer than ${this.timeoutMs} ms`);
    }
  }

  /**
   * Adds text without pages of its own (a text file, a Word document, a sheet, an email body) as pages of at most
   * FLOWING_PAGE_CHARS, each ending at a line break where there is one in its second half.
   */
  addText(result: ExtractResult, text: string): void {
    let start = 0;
    // Once the text cap is near, the rest goes to addPage whole, which cuts it and says how much was dropped.
    while (text.length - start > FLOWING_PAGE_CHARS && this.textLeft > FLOWING_PAGE_CHARS) {
      const end = pageEnd(text, start);
      this.addPage(result, text.slice(start, end).trim());
      start = end;
    }
    this.addPage(result, text.slice(start).trim());
  }

  /** Adds a page, keeping the text of the whole tree under maxTextChars. */
  addPage(result: ExtractResult, text: string): void {
    const number = result.pages.length + 1;
    if (text.length <= this.textLeft) {
      this.textLeft -= text.length;
      result.pages.push({ number, text });
      return;
    }
    const kept = text.slice(0, Math.max(0, this.textLeft));
    this.textLeft = 0;
    result.pages.push({ number, text: kept });
    if (!this.textCapWarned) {
      this.textCapWarned = true;
      result.warnings.push(
        `text capped at ${this.limits.maxTextChars} characters: ${text.length - kept.length} characters of page ${number} and any later text dropped`,
      );
    }
  }
}

function pageEnd(text: string, start: number): number {
  const limit = start + FLOWING_PAGE_CHARS;
  const lineBreak = text.lastIndexOf('\n', limit - 1);
  if (lineBreak >= start + FLOWING_PAGE_CHARS / 2) return lineBreak + 1;
  // Never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

export function emptyResult(type: string, mime: string): ExtractResult {
  return { type, mime, metadata: {}, pages: [], children: [], warnings: [], needsOcr: false };
}

export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0]!.slice(0, 300);
}
