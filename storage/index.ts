export { openArchive, type Archive, type OpenArchiveOptions } from './archive.js';
export { configFromEnv } from './config.js';
export type { Db } from './db/connect.js';
export * as schema from './db/schema.js';
export {
  contentDisposition,
  FileBlobStore,
  S3BlobStore,
  storageKey,
  type BlobInput,
  type BlobStore,
  type PutResult,
  type S3Config,
} from './blobs/index.js';
export {
  AmbiguousRequestError,
  ArchiveBusyError,
  BlobMissingError,
  BlobNotFoundError,
  ConfigError,
  InvalidSha256Error,
  RequestNotFoundError,
  StorageError,
} from './errors.js';
export { JOB_MAX_ATTEMPTS } from './queues.js';
export type * from './types.js';
