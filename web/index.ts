import { serve as serveNode, type ServerType } from '@hono/node-server';
import type { Archive } from '../storage/index.js';
import { createApp } from './app.js';

export { createApp, type AppOptions } from './app.js';
export { CONTENT_SECURITY_POLICY } from './security.js';
export { CSV_COLUMNS, exportStream, type ExportFormat } from './export.js';
export { StoredBodyMismatchError } from './errors.js';
export { writeWarc, type WarcOptions } from './warc.js';
export { openApiDocument } from './openapi.js';

export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  token?: string;
  /** See AppOptions.publicUrl. */
  publicUrl?: string;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the web UI and API on host:port; resolves once it is listening. */
export async function serve(archive: Archive, options: ServeOptions): Promise<RunningServer> {
  const app = createApp(archive, { token: options.token, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  const host = options.host ?? '127.0.0.1';
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server = serveNode({ fetch: app.fetch, port: options.port, hostname: host }, (info) => resolve(info.port));
    server.once('error', reject);
  });
  const running = server as ServerType;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in running) running.closeAllConnections();
        running.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
