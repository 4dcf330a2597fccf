import type pg from 'pg';
import { StorageNotAnsweringError, type SilentPart } from '../errors.js';

/** How long a PostgreSQL server may stay silent before its connection is given up. */
export interface DatabaseTimeouts {
  /** A new connection: TCP, TLS, start-up and authentication, until the server is ready for a statement. */
  connectMs: number;
  /** A statement, from when it is sent until its answer; null: no limit. */
  statementMs: number | null;
}

/** How long a connection being closed may wait for the server to close its side. */
const CLOSE_GRACE_MS = 5_000;

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * node-postgres's Client with time limits that end a silent connection. A server that hangs (stopped, swapping, behind a
 * dead link) keeps the TCP connection open and answers nothing, which no refusal reports: the statement in flight, and
 * every process waiting on it, would wait for ever.
 *
 * On a limit the socket is destroyed with a StorageNotAnsweringError, rather than only the statement failed as
 * node-postgres's own `query_timeout` does: the statement in flight and those queued behind it fail with that error, the
 * pool drops the connection instead of lending it again with the silent statement still on it, and a session lock held
 * on it ends with it once the server notices.
 */
export function timedClientClass(Client: typeof pg.Client, limits: DatabaseTimeouts): typeof pg.Client {
  /**
   * Set when a limit gives a connection up, cleared by the next answer on any connection. Meanwhile a statement has no
   * longer than a new connection to answer: once the server is known to be silent, each clean-up statement of a stopping
   * process (putting its rows back, recording its run, giving back its locks) waited the whole statement limit in turn,
   * and a crawl with a limit of 5 minutes took a quarter of an hour to end.
   */
  let serverSilent = false;
  const statementLimit = (): number | null =>
    limits.statementMs === null ? null : serverSilent ? Math.min(limits.statementMs, limits.connectMs) : limits.statementMs;
  const answered = () => {
    serverSilent = false;
  };

  return class TimedClient extends Client {
    /** Why this connection was given up: every later statement on it fails with the same error, not a generic one. */
    #silent: StorageNotAnsweringError | null = null;
    /** pg-pool's `release` for the current checkout, called at most once, by whoever comes first. */
    #poolRelease: ((error?: Error) => void) | undefined;
    #released = false;

    /**
     * pg-pool assigns each checkout a `release` of its own, which throws when called twice. It is handed back here as
     * soon as a limit gives the connection up: drizzle's transaction releases its client only after a BEGIN that
     * succeeded, so a connection that went silent at BEGIN stayed checked out for ever, a slot of the pool lost each
     * time (ten, and `serve` could not answer again once the server did), and the pool's end waited on it.
     */
    set release(release: (error?: Error) => void) {
      this.#poolRelease = release;
      this.#released = false;
    }

    get release(): (error?: Error) => void {
      return (error) => {
        if (this.#released) return;
        this.#released = true;
        this.#poolRelease?.(error);
      };
    }

    #arm(part: SilentPart, limitMs: number): NodeJS.Timeout {
      return setTimeout(() => {
        serverSilent = true;
        this.#silent ??= new StorageNotAnsweringError(part, limitMs);
        this.connection.stream.destroy(this.#silent);
        if (this.#poolRelease) this.release(this.#silent);
      }, limitMs);
    }

    // node-postgres's overloads (a promise, or a callback) in one signature.
    override connect(callback?: (...args: any[]) => void): any {
      const timer = this.#arm('database connection', limits.connectMs);
      const settled = (error: unknown) => {
        clearTimeout(timer);
        if (!error) answered();
      };
      if (!callback) {
        return (super.connect() as Promise<pg.Client>).then(
          (client) => {
            settled(null);
            return client;
          },
          (error: unknown) => {
            settled(error);
            throw error;
          },
        );
      }
      super.connect((error: Error | null, client?: pg.Client) => {
        settled(error);
        callback(error, client);
      });
      return undefined;
    }

    override query(...args: any[]): any {
      const at = args.findIndex((arg) => typeof arg === 'function');
      // A submittable (a cursor) reports its end its own way; none is used here.
      const submittable = typeof (args[0] as { submit?: unknown } | undefined)?.submit === 'function';
      if (submittable) return super.query(...(args as Parameters<pg.Client['query']>));
      if (this.#silent) {
        // node-postgres would say "Client has encountered a connection error and is not queryable" (drizzle's rollback
        // after the failed statement, say), hiding why.
        const silent = this.#silent;
        if (at < 0) return Promise.reject(silent);
        process.nextTick(() => (args[at] as Callback)(silent));
        return undefined;
      }
      const limitMs = statementLimit();
      if (limitMs === null) return super.query(...(args as Parameters<pg.Client['query']>));
      const timer = this.#arm('database', limitMs);
      // Any answer, an error from the server included, shows it is not silent; an end by the limit is not one.
      const settled = () => {
        clearTimeout(timer);
        if (!this.#silent) answered();
      };
      if (at >= 0) {
        const callback = args[at] as Callback;
        args[at] = (error: Error | null, result?: unknown) => {
          settled();
          callback(error, result);
        };
      }
      let result: unknown;
      try {
        result = super.query(...(args as Parameters<pg.Client['query']>));
      } catch (error) {
        // Refused before it was sent (no query text, say).
        clearTimeout(timer);
        throw error;
      }
      if (result instanceof Promise) void result.then(settled, settled);
      return result;
    }

    override end(callback?: (error: Error) => void): any {
      // A server that answers nothing does not close its side of the connection either, and the half-closed socket
      // would keep the process alive after its work is done.
      const stream = this.connection.stream;
      const timer = setTimeout(() => stream.destroy(), Math.min(CLOSE_GRACE_MS, limits.connectMs));
      timer.unref();
      stream.once('close', () => clearTimeout(timer));
      if (!callback) return super.end();
      super.end(callback);
      return undefined;
    }
  };
}
