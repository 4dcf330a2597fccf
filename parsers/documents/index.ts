export { FLOWING_PAGE_CHARS } from './context.js';
export { extract, tooLarge, type ExtractInput } from './extract.js';
export { extractIsolated } from './isolate.js';
export { sniffType, type SniffHint, type SniffResult } from './sniff.js';
export { sanitiseEntryName } from './formats/zip.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  ExtractError,
  type DocumentMetadata,
  type ExtractedChild,
  type ExtractedPage,
  type ExtractErrorCode,
  type ExtractLimits,
  type ExtractOptions,
  type ExtractResult,
} from './types.js';
