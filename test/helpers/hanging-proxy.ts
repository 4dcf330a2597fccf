import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestArchive, type TestArchive } from './archive.js';

export interface HangingProxy {
  /** 127.0.0.1 port that forwards to the target */
  port: number;
  /**
   * From now on nothing is forwarded either way, on open connections and new ones, which are still accepted: a server
   * that hangs (its kernel takes connections and bytes, the process answers none).
   */
  hang(): void;
  /** Forwards again, what was held back first. */
  resume(): void;
  /** Connections the proxy has accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** A TCP proxy on a free port in front of `targetPort` on 127.0.0.1 that can be made to hang. */
export async function startHangingProxy(targetPort: number): Promise<HangingProxy> {
  let hung = false;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset while hung or closing is no failure of the test.
    socket.on('error', () => {});
    if (hung) socket.pause();
  };
  // Reads `from` only while not hung; a paused socket leaves the bytes in the kernel, and the sender's window fills.
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!hung) from.resume();
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(client);
    track(upstream);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    hang() {
      hung = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      hung = false;
      for (const socket of sockets) socket.resume();
    },
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface DatabaseBehindProxy {
  /** The suite's test archive, on the server database, reached directly. */
  direct: TestArchive;
  proxy: HangingProxy;
  /** The same database through the proxy. */
  databaseUrl: string;
  /** A directory of the test's own, for the originals of an archive opened on `databaseUrl`. */
  archiveDir: string;
}

/** The server setting's test database behind a proxy that can hang; what it opens is undone by `cleanups`, last first. */
export async function databaseBehindProxy(cleanups: (() => Promise<unknown>)[]): Promise<DatabaseBehindProxy> {
  const direct = await openTestArchive();
  cleanups.push(() => direct.cleanup());
  const url = new URL(direct.archive.config.databaseUrl!);
  const proxy = await startHangingProxy(Number(url.port));
  cleanups.push(() => proxy.close());
  url.port = String(proxy.port);
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-hung-'));
  cleanups.push(() => rm(archiveDir, { recursive: true, force: true }));
  return { direct, proxy, databaseUrl: url.toString(), archiveDir };
}
