/**
 * A capture's stored body is missing, or no longer has the sha256 and size recorded when it was fetched. An export
 * stops on it: handing the bytes out in a WARC, with digests computed over them, would pass altered evidence as intact.
 */
export class StoredBodyMismatchError extends Error {
  override name = 'StoredBodyMismatchError';
  readonly code = 'WDTK_STORED_BODY_MISMATCH';

  constructor(
    readonly captureId: number,
    readonly url: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`capture ${captureId} (${url}): ${problem}; not exported`, options);
  }
}
