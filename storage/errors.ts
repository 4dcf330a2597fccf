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
  ) {
    super(`archive ${archiveDir} is in use by process ${pid}`);
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
