import { withoutControlCharacters } from './controls.js';

/** The input is not the kind of page or document the parser was asked to read. */
export class PageKindError extends Error {
  override readonly name = 'PageKindError';

  constructor(
    readonly expected: string,
    reason: string,
  ) {
    // The reason may quote the input, which can be any bytes: a NUL in it could not be stored with the run.
    super(`not a ${expected}: ${withoutControlCharacters(reason)}`);
  }
}
