export interface ExtractLimits {
  /** Largest input (and largest single archive entry or attachment) read, in bytes. */
  maxBytes: number;
  /** Sum of uncompressed sizes over every archive entry in the whole tree, in bytes. */
  maxTotalUncompressed: number;
  /** Most archive entries read over the whole tree. */
  maxEntries: number;
  /** Highest uncompressed/compressed ratio accepted for an archive entry larger than 1 MiB. */
  maxRatio: number;
  /** Deepest nesting of archives, emails and attachments followed. */
  maxDepth: number;
  /** Most pages (PDF pages, sheets) read from one document. */
  maxPages: number;
  /** Most characters of text kept over the whole tree; the rest is dropped with a warning. */
  maxTextChars: number;
}

export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxBytes: 100 * 1024 * 1024,
  maxTotalUncompressed: 256 * 1024 * 1024,
  maxEntries: 5_000,
  maxRatio: 200,
  maxDepth: 5,
  maxPages: 2_000,
  maxTextChars: 10_000_000,
});

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MEMORY_MB = 1_024;

export interface ExtractOptions {
  /** Name the document was published under; only a hint, the bytes decide the type. */
  filename?: string;
  /** Content type the server stated; only a hint. */
  contentType?: string;
  /** Time allowed for the whole document, nested parts included (default 30 s). */
  timeoutMs?: number;
  limits?: Partial<ExtractLimits>;
  /** Run tesseract on images and text-less PDFs (default: when `tesseract` is on PATH). */
  ocr?: boolean;
  /** Heap limit of the isolated worker, in MB (extractIsolated only; default 1024). */
  memoryMb?: number;
}

export interface ExtractedPage {
  /** 1-based. */
  number: number;
  text: string;
}

export interface DocumentMetadata {
  title?: string;
  author?: string;
  created?: string;
  modified?: string;
  producer?: string;
  pageCount?: number;
  subject?: string;
  from?: string;
  to?: string;
  date?: string;
}

export interface ExtractResult {
  /** Type sniffed from the bytes: 'pdf', 'docx', 'xlsx', 'xls', 'doc', 'odt', 'ods', 'csv', 'txt', 'html', 'rtf', 'eml', 'msg', 'tnef', 'zip', 'image', 'empty', 'unknown', ... */
  type: string;
  mime: string;
  metadata: DocumentMetadata;
  /** A PDF page or a slide is a page; a sheet, an email body or a text file is one, or several of at most FLOWING_PAGE_CHARS. */
  pages: ExtractedPage[];
  /** Archive entries and attachments, extracted recursively. */
  children: ExtractedChild[];
  warnings: string[];
  /** Scanned PDF or image without text, and OCR was unavailable or failed. */
  needsOcr: boolean;
  /** The text came from OCR. */
  ocr?: boolean;
}

export interface ExtractedChild extends ExtractResult {
  /** Sanitised name: never a path to use on disk. */
  name: string;
}

export type ExtractErrorCode = 'timeout' | 'too_large' | 'crashed' | 'unreadable';

/** The document as a whole could not be extracted; parts that fail only add warnings. */
export class ExtractError extends Error {
  override readonly name = 'ExtractError';

  constructor(
    readonly code: ExtractErrorCode,
    message: string,
  ) {
    super(message);
  }
}
