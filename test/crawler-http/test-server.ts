import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { PoliteFetcher, type PoliteFetcherOptions, type RetryEvent } from '../../crawler/http/index.js';

export interface LoggedRequest {
  path: string;
  /** performance.now() when the request reached the handler. */
  at: number;
  headers: IncomingHttpHeaders;
  connection: number;
}

/** `hit` counts requests to this path so far, starting at 1, so a route can fail first and recover. */
export type Route = (req: IncomingMessage, res: ServerResponse, hit: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  log: LoggedRequest[];
  /** Requests for a path (path + query), in arrival order. */
  hits(path: string): LoggedRequest[];
  maxOpenConnections: number;
  maxInFlight: number;
  connectionsOpened: number;
  close(): Promise<void>;
}

/** Core Alaveteli robots.txt rules (site facts §8.1). */
export const WDTK_ROBOTS = `User-agent: *
Disallow: */annotate/*
Disallow: */new/*
Disallow: */search/*
Disallow: */similar/*
Disallow: */track/*
Disallow: */upload/*
Disallow: */user/contact/*
Disallow: */feed/*
Disallow: */profile/*
Disallow: */signin*
Disallow: */tor*
Allow: */request/*/response/*/attach/*
Disallow: */request/*/response/*
Disallow: */request/*/download*
Disallow: */change_request/*
Disallow: */outgoing_messages/*/mail_server_logs*
Disallow: */outgoing_messages/*/delivery_status*
Disallow: *?*update_status=1*
Disallow: */request/*/annotate
Disallow: */request/*/feed
Disallow: */request/*/followups/new
Disallow: */request/*/similar
Disallow: */request/*/track
Disallow: */request/*/upload
`;

export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function robotsRoute(body: string): Route {
  return (_req, res) => text(res, 200, body, { 'content-type': 'text/plain' });
}

/** Routes keyed by path + query; unknown paths get 404. */
export async function startTestServer(routes: Record<string, Route>): Promise<TestServer> {
  const log: LoggedRequest[] = [];
  const counts = new Map<string, number>();
  let open = 0;
  let inFlight = 0;
  let connectionId = 0;
  const state = { maxOpenConnections: 0, maxInFlight: 0, connectionsOpened: 0 };
  const socketIds = new WeakMap<object, number>();

  const server = createServer(async (req, res) => {
    const path = req.url ?? '/';
    log.push({ path, at: performance.now(), headers: req.headers, connection: socketIds.get(req.socket) ?? -1 });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const hit = (counts.get(path) ?? 0) + 1;
    counts.set(path, hit);
    const route = routes[path];
    if (route) await route(req, res, hit);
    else text(res, 404, '<h1>Not found</h1>');
  });
  server.on('connection', (socket) => {
    socketIds.set(socket, ++connectionId);
    state.connectionsOpened++;
    open++;
    state.maxOpenConnections = Math.max(state.maxOpenConnections, open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    hits: (path) => log.filter((entry) => entry.path === path),
    get maxOpenConnections() {
      return state.maxOpenConnections;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get connectionsOpened() {
      return state.connectionsOpened;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Smallest gap between consecutive request arrivals, in ms. */
export function minGapMs(log: LoggedRequest[]): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < log.length; i++) smallest = Math.min(smallest, log[i]!.at - log[i - 1]!.at);
  return smallest;
}

/** A pino logger whose JSON lines land in `lines`, for asserting on what operators would read. */
/** A pino line: its level, its message and the fields logged with it. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** A test site and a polite fetcher on it, made by `setUp` in a test and closed after it. */
export interface FetcherSite {
  readonly server: TestServer;
  readonly fetcher: PoliteFetcher;
  /** Every retry the fetcher reported. */
  readonly retries: RetryEvent[];
  /** Serves `routes` (and WDTK's robots.txt, unless they give one); the fetcher runs fast: 50 requests a second, 5-20 ms backoff. */
  setUp(routes: Record<string, Route>, options?: Partial<PoliteFetcherOptions>): Promise<void>;
}

/** Call at the top of a test file: each test's site and fetcher are closed after it. */
export function fetcherSite(): FetcherSite {
  let current: { server: TestServer; fetcher: PoliteFetcher; retries: RetryEvent[] } | undefined;
  afterEach(async () => {
    await current?.fetcher.close();
    await current?.server.close();
    current = undefined;
  });
  const opened = () => {
    if (!current) throw new Error('fetcherSite: call setUp first');
    return current;
  };
  return {
    get server() {
      return opened().server;
    },
    get fetcher() {
      return opened().fetcher;
    },
    get retries() {
      return opened().retries;
    },
    async setUp(routes, options = {}) {
      const server = await startTestServer({ '/robots.txt': robotsRoute(WDTK_ROBOTS), ...routes });
      const retries: RetryEvent[] = [];
      const fetcher = new PoliteFetcher({
        baseUrl: server.url,
        ratePerSecond: 50,
        backoff: { baseMs: 5, maxMs: 20 },
        onRetry: (event) => void retries.push(event),
        ...options,
      });
      current = { server, fetcher, retries };
    },
  };
}
