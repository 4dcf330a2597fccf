import path from 'node:path';
import { DrizzleQueryError } from 'drizzle-orm/errors';

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another process holds the embedded archive (PGlite allows one process per data dir). */
export class ArchiveBusyError extends StorageError {
  constructor(
    readonly archiveDir: string,
    readonly pid: number,
    readonly host?: string,
  ) {
    // Another host's process cannot be seen from here: a container made anew after a kill has a new host name, and
    // only its operator can tell that the lock's holder is gone.
    super(
      `archive ${archiveDir} is in use by process ${pid}` +
        (host === undefined ? '' : ` on ${host}; if nothing on ${host} uses it any more (a container made anew after a kill), delete ${path.join(archiveDir, '.lock')}`),
    );
  }
}

/**
 * Who may touch the archive's originals beside whom: writers (a crawl, a snapshot) share them, a remover (purge,
 * verify --remove-unindexed) works alone.
 */
export type OriginalsUse = 'write' | 'remove';

/** The archive's originals are in the other kind of use, and `work` must not run beside it. */
export class OriginalsInUseError extends StorageError {
  constructor(
    readonly work: string,
    readonly wanted: OriginalsUse,
  ) {
    super(
      wanted === 'remove'
        ? `a crawl or a snapshot is storing originals in this archive: ${work} must wait until it ends (a crawl stopped with Ctrl-C resumes where it left off)`
        : `originals are being removed from this archive (purge or verify --remove-unindexed): ${work} must wait until that ends`,
    );
  }
}

/** The embedded database directory could not be opened (not a directory, unreadable, not a PGlite database...). */
export class EmbeddedDatabaseError extends StorageError {
  constructor(
    readonly dataDir: string,
    readonly reason: string,
  ) {
    super(`cannot open the embedded database in ${dataDir}: ${reason}`);
  }
}

/** A row would point at content whose blob was never stored (write order: blob first, then rows). */
export class BlobMissingError extends StorageError {
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is not stored: store the content with putBlob before recording rows that use it`);
  }
}

export class BlobNotFoundError extends StorageError {
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is missing from the blob store`);
  }
}

export class InvalidSha256Error extends StorageError {
  constructor(value: string) {
    super(`not a sha256 hex digest: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

export class RequestNotFoundError extends StorageError {
  constructor(readonly slugOrId: string) {
    super(`no archived request matches ${slugOrId}`);
  }
}

export class AmbiguousRequestError extends StorageError {
  constructor(
    readonly slugOrId: string,
    readonly siteIds: number[],
  ) {
    super(`${slugOrId} matches requests on several sites (${siteIds.join(', ')}); pass a site id`);
  }
}

export class ConfigError extends StorageError {}

/** The database server or the object store the settings name could not be used as the archive opened. */
export class StorageOpenError extends StorageError {
  constructor(what: string, cause: unknown) {
    super(`cannot use ${what}: ${describeFailure(cause)}`);
    this.cause = cause;
  }
}

/** What gave no answer, as a message names it. */
export type SilentPart = 'database' | 'database connection' | 'object store' | 'object store connection';

/**
 * A database server or object store that took a connection or a request and then said nothing for `limitMs`: hung
 * (stopped, swapping, behind a dead link), which no refusal would tell. Failed at once rather than waited on for ever.
 */
export class StorageNotAnsweringError extends StorageError {
  readonly code = 'WDTK_STORAGE_NOT_ANSWERING';
  constructor(
    readonly part: SilentPart,
    readonly limitMs: number,
  ) {
    const within = `within ${limitMs % 1000 === 0 ? `${limitMs / 1000} s` : `${limitMs} ms`}`;
    const messages: Record<SilentPart, string> = {
      database: `the database did not answer ${within}`,
      'database connection': `the database server did not complete a new connection ${within}`,
      'object store': `the object store did not answer ${within}`,
      'object store connection': `the object store did not complete a new connection ${within}`,
    };
    super(messages[part]);
  }
}

/** File-system errors that blame the disk or the system, not what was being written. */
const SYSTEM_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'ENOMEM']);
/** Errors reaching a database server or an object store over the network. */
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE classes: connection exception, insufficient resources (disk full), operator intervention (shutdown), system error (I/O). */
const SERVER_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58']);
/**
 * Words of errors that carry no code: node-postgres's for a connection it lost or could not make, and minio's for an
 * object store that answered 5xx (or 429, 408) to a request and to its retry.
 */
const UNAVAILABLE_WORDS = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Request failed after \d+ retries: Error: Retryable HTTP status)/;

/**
 * Whether `error` (or an error it wraps) says the archive's storage cannot take writes now: a full or read-only disk,
 * a database server or object store that is down or refusing, the embedded database aborted. Such a failure is
 * the same for every item that follows, unlike one about the item itself.
 */
export function isStorageUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    // PGlite aborting: Emscripten throws WebAssembly's RuntimeError, and the database takes no statement until reopened.
    if (current.name === 'RuntimeError') return true;
    // minio's S3Error: the store answered, and refused (full, access denied, no bucket); never about the bytes sent.
    if (current.name === 'S3Error') return true;
    if (current instanceof StorageNotAnsweringError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (SYSTEM_ERRNOS.has(code) || NETWORK_ERRNOS.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && SERVER_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
    }
    if (UNAVAILABLE_WORDS.test(current.message)) return true;
  }
  return false;
}

/**
 * One line saying what went wrong. drizzle reports a failed statement as the statement and its parameters (a page's
 * text, say), with the database's reason only as the cause; here the reason comes first, then how the statement begins.
 */
export function describeFailure(error: unknown): string {
  const firstLine = (text: string) => text.split('\n')[0] ?? text;
  if (error instanceof DrizzleQueryError && error.cause instanceof Error) {
    const statement = error.query.replace(/\s+/g, ' ').trim();
    return `${firstLine(error.cause.message)} (in: ${statement.length > 60 ? `${statement.slice(0, 60)}…` : statement})`;
  }
  return firstLine(error instanceof Error ? error.message : String(error));
}

/** The database connection holding a lock ended, and the lock with it: what it kept out may now start. */
export class LockLostError extends StorageError {
  constructor(
    readonly lock: 'run' | 'originals',
    reason: Error,
  ) {
    super(`the database connection holding the ${lock === 'run' ? 'run lock' : 'lock on the originals'} ended (${reason.message})`);
    this.cause = reason;
  }
}
