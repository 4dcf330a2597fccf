import { ExtractError, type ExtractLimits, type ExtractResult } from './types.js';

/** The first call's promise, kept: under tsx every import() asks the loader thread again (about 1 ms a document). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

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

  /** Cooperative time check between steps; extractIsolated also enforces the limit from outside. */
  checkTime(): void {
    if (Date.now() > this.deadline) {
      throw new ExtractError('timeout', `extraction took longer than ${this.timeoutMs} ms`);
    }
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

export function emptyResult(type: string, mime: string): ExtractResult {
  return { type, mime, metadata: {}, pages: [], children: [], warnings: [], needsOcr: false };
}

export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0]!.slice(0, 300);
}
