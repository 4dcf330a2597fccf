#!/usr/bin/env node
// S3-compatible test server: @20minutes/s3rver behind a shim answering ListMultipartUploads
// (GET /<bucket>?uploads), which minio-js v8 calls before every multipart upload and s3rver lacks,
// and with deletes that leave directories in place (see keepDirectoriesOnDelete).
// Run: S3_PORT (default 9000), S3_DIR (default ./.s3-data), S3_BUCKETS (comma list, pre-created).
// Import: createS3TestServer({ dir, buckets }) -> { server, s3 }. S3_PORT=0 picks a free port (test/helpers/s3.ts).
const fs = require('node:fs');
const http = require('node:http');
const S3rver = require('@20minutes/s3rver');

const EMPTY_UPLOADS = (bucket) =>
  '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  `<Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads>` +
  '<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>';

/**
 * s3rver's delete removes the directories a key's slashes made once they look empty (readdir, then `rm -r`), while a
 * put under the same prefix may have just made one (mkdir, then write): concurrent uploads under one prefix (the blob
 * store's `tmp/`) then fail with ENOENT or ENOTEMPTY as HTTP 500, or lose the file just written. S3 has no directories
 * to clean up: a delete here removes the object's files and leaves the directories.
 */
function keepDirectoriesOnDelete(store) {
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((kind) =>
        fs.promises.unlink(store.getResourcePath(bucket, key, kind)).catch((error) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

async function createS3TestServer({ dir, buckets = [] }) {
  fs.mkdirSync(dir, { recursive: true });
  const s3 = new S3rver({ silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  keepDirectoriesOnDelete(s3.store);
  const handler = s3.callback();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://local');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && parts.length === 1 && url.searchParams.has('uploads')) {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(EMPTY_UPLOADS(parts[0]));
      return;
    }
    handler(req, res);
  });
  server.keepAliveTimeout = 1000;
  // configureBuckets are only created by s3rver.run(), which we do not use: create them in the store.
  await Promise.all(buckets.map((name) => s3.store.putBucket(name).catch(() => {})));
  return { server, s3 };
}

module.exports = { createS3TestServer };

if (require.main === module) {
  const port = Number(process.env.S3_PORT || 9000);
  const dir = process.env.S3_DIR || '.s3-data';
  const buckets = (process.env.S3_BUCKETS || '').split(',').filter(Boolean);
  createS3TestServer({ dir, buckets }).then(({ server }) => {
    server.listen(port, '127.0.0.1', () => console.log(`s3 test server on http://127.0.0.1:${server.address().port} dir=${dir} pid=${process.pid}`));
    // Requests in flight finish, as on a store that is shut down: s3rver writes an object's files one after the other,
    // and cutting a put short would leave an object that answers 500 ever after, which no real store does.
    const stop = () => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
