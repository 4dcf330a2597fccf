import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Config } from '../../storage/index.js';

const require = createRequire(import.meta.url);
const { createS3TestServer } = require('../../scripts/s3-test-server.cjs') as {
  createS3TestServer(opts: { dir: string; buckets?: string[] }): Promise<{ server: Server }>;
};

export interface S3TestServer {
  endpoint: string;
  /** client settings for a bucket on this server (credentials are s3rver's fixed S3RVER/S3RVER) */
  config(bucket: string): S3Config;
  stop(): Promise<void>;
}

/** The same s3rver + multipart shim as scripts/s3-test-server.cjs, in this process on a free port. */
export async function startS3Server(buckets: string[] = []): Promise<S3TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-s3-'));
  const { server } = await createS3TestServer({ dir, buckets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    config: (bucket) => ({ endPoint: '127.0.0.1', port, useSSL: false, bucket, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' }),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
