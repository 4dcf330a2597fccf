export { holdsEmbeddedArchive, openArchive, type Archive, type LockLost, type OpenArchiveOptions, type ReleaseLock, type StorageTimeouts } from './archive.js';
export { configFromEnv } from './config.js';
export { openEmbeddedDatabase, writeDataDirTemplate, type Db, type PostgresTimeouts } from './db/connect.js';
export type { EmbeddedDatabase } from './db/embedded.js';
export * as schema from './db/schema.js';
// Not through './blobs/index.js', which would load the S3 client (about 35 MiB resident) into every process:
// openArchive loads it when an archive is configured for S3. Tests that need the class import it from blobs.
export { FileBlobStore } from './blobs/files.js';
export { contentDisposition, storageKey, type BlobInput } from './blobs/stream.js';
export type { BlobStat, BlobStore, ByteRange, PutResult } from './blobs/types.js';
export type { S3BlobStore, S3Config, S3Timeouts } from './blobs/s3.js';
export {
  AmbiguousRequestError,
  ArchiveBusyError,
  BlobMissingError,
  BlobNotFoundError,
  ConfigError,
  describeFailure,
  EmbeddedDatabaseError,
  InvalidSha256Error,
  LockLostError,
  isStorageUnavailable,
  OriginalsInUseError,
  RequestNotFoundError,
  StorageError,
  StorageNotAnsweringError,
  StorageOpenError,
  type OriginalsUse,
} from './errors.js';
export { attachmentCitation } from './citation.js';
export { EXEMPTIONS, exemptionCode, exemptionLabel, exemptionsCited, type ExemptionCitation, type ExemptionSource } from './exemptions.js';
export { processExists } from './lock.js';
export { describeRunScope, JOB_MAX_ATTEMPTS, localWorkerId, UNFINISHED_RUN_ERROR } from './queues.js';
export type * from './types.js';
export { TIMELINESS_OUTCOMES, type TimelinessOrder, type TimelinessScope } from './queries/timeliness.js';
