export { FileBlobStore } from './files.js';
export { S3BlobStore, s3Client, type S3Config, type S3Timeouts } from './s3.js';
export { contentDisposition, storageKey, SHA256_PATTERN, type BlobInput } from './stream.js';
export type { BlobStat, BlobStore, ByteRange, PutResult } from './types.js';
