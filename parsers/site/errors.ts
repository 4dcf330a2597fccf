/** The input is not the kind of page or document the parser was asked to read. */
export class PageKindError extends Error {
  override readonly name = 'PageKindError';

  constructor(
    readonly expected: string,
    reason: string,
  ) {
    super(`not a ${expected}: ${reason}`);
  }
}
