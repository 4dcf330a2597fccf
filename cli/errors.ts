/** Bad flags or arguments: the CLI exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on, reported as one line: the CLI exits with 1. */
export class CliError extends Error {
  override name = 'CliError';
}
