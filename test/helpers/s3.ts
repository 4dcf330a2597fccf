import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Config } from '../../storage/index.js';

const script = fileURLToPath(new URL('../../scripts/s3-test-server.cjs', import.meta.url));

export interface S3TestServer {
  endpoint: string;
  /** client settings for a bucket on this server (credentials are s3rver's fixed S3RVER/S3RVER) */
  config(bucket: string): S3Config;
  /** Stops the server and keeps what it stores: an object store that is down. */
  pause(): Promise<void>;
  /** Starts it again, on the same port with the same objects. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

interface RunningServer {
  port: number;
  kill(): Promise<void>;
}

async function spawnServer(dir: string, port: number, buckets: string[]): Promise<RunningServer> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, S3_PORT: String(port), S3_DIR: dir, S3_BUCKETS: buckets.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on http:\/\/127\.0\.0\.1:(\d+) /.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3 test server exited with ${code} before listening: ${out}`)));
  });
  return {
    port: listening,
    async kill() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * scripts/s3-test-server.cjs (s3rver + multipart shim) in a child process on a free port: its memory
 * stays out of this process, so tests measuring our RSS measure only the client.
 */
export async function startS3Server(buckets: string[] = []): Promise<S3TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-s3-'));
  let running: RunningServer | null = await spawnServer(dir, 0, buckets);
  // A paused server lets its requests in flight finish before it exits: a resume called meanwhile waits for that.
  let exiting: Promise<void> = Promise.resolve();
  const { port } = running;
  const kill = () => {
    const server = running;
    running = null;
    if (server) exiting = server.kill();
    return exiting;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    config: (bucket) => ({ endPoint: '127.0.0.1', port, useSSL: false, bucket, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' }),
    pause: kill,
    async resume() {
      await exiting;
      running ??= await spawnServer(dir, port, buckets);
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
