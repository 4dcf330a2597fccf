import { Worker } from 'node:worker_threads';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import { DatabaseThreadStoppedError } from '../errors.js';

/** Statements, inside a transaction or not. */
interface EmbeddedStatements {
  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(text: string, options?: QueryOptions): Promise<Results[]>;
  readonly closed: boolean;
}

/** The part of a PGlite transaction drizzle's driver uses. */
export interface EmbeddedTransaction extends EmbeddedStatements {
  rollback(): Promise<void>;
}

/** The embedded database as the archive sees it: the part of PGlite's interface drizzle's driver and the archive use. */
export interface EmbeddedDatabase extends EmbeddedStatements {
  transaction<T>(callback: (tx: EmbeddedTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface PgliteThreadOptions {
  /** where the database lives; without it, in memory */
  dataDir?: string;
  /** a dump (`dumpDataDir`) to start from, for a database in memory */
  dump?: Uint8Array;
  /** server settings as `-c name=value` pairs: added to PGlite's default start parameters, and given to initdb */
  settings: string[];
  /** types whose values stay text, for every query (drizzle maps them itself) */
  textTypes: number[];
}

/** An error as the thread describes it: name, message and the plain fields a DatabaseError carries. */
type ErrorFields = { isError: boolean; name: string; message: string; [field: string]: unknown };

type Reply = { id: number; result?: unknown; error?: ErrorFields };

type Message =
  | { op: 'query'; text: string; params?: unknown[]; options?: QueryOptions; tx?: number }
  | { op: 'exec'; text: string; options?: QueryOptions; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

/** Fails to open: what the thread reported, as it reported it (an Error, or Emscripten's `{ name, errno }`). */
export class PgliteOpenError extends Error {
  constructor(readonly reported: unknown) {
    super('the embedded database did not open');
  }
}

function rebuild({ isError, ...fields }: ErrorFields): unknown {
  if (!isError) return fields;
  const error = new Error(fields.message);
  Object.assign(error, fields);
  return error;
}

/**
 * The database thread's young generation. Left to grow, it reaches 16 MiB per semi-space on a crawl's stream of
 * statement results, all of them short-lived; this bound keeps about 10 MiB of resident memory off an embedded
 * archive's process with no measurable cost in time (bench/README.md, part 23).
 */
const THREAD_YOUNG_GENERATION_MB = 2;

/**
 * PGlite in a worker thread of its own. PGlite runs each statement synchronously on the thread that calls it, so in
 * the crawl's thread every statement (about 4 per request) held up the fetches and parsing around it; on a thread of
 * its own it runs beside them, as a PostgreSQL server does. Statements and results cross as messages (structured
 * clone); a transaction stays open in the thread while its statements arrive one by one, and PGlite's own locking
 * keeps other statements out of it until it ends. The thread keeps the process up only while a statement is waiting.
 */
export class PgliteThread implements EmbeddedDatabase {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(result: unknown): void; reject(error: unknown): void }>();
  readonly #installedTypes: Set<string>;
  #nextId = 1;
  #closed = false;
  #stopped: Error | null = null;

  private constructor(options: PgliteThreadOptions) {
    this.#installedTypes = new Set(options.textTypes.map(String));
    this.#worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
      workerData: options,
      resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB },
    });
    this.#worker.on('message', ({ id, result, error }: Reply) => {
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (error) pending.reject(id === 0 ? new PgliteOpenError(rebuild(error)) : rebuild(error));
      else pending.resolve(result);
    });
    // A thread that ran out of memory or could not load: every waiting statement fails, and says why.
    const stop = (reason: Error) => {
      if (this.#closed) return;
      this.#closed = true;
      this.#stopped = reason;
      for (const pending of this.#pending.values()) pending.reject(new DatabaseThreadStoppedError(reason));
      this.#pending.clear();
    };
    this.#worker.on('error', stop);
    this.#worker.on('exit', (code) => stop(new Error(`exit code ${code}`)));
  }

  /** Starts the thread and opens the database in it; rejects with PgliteOpenError if PGlite cannot open it. */
  static async open(options: PgliteThreadOptions): Promise<PgliteThread> {
    const thread = new PgliteThread(options);
    try {
      await thread.#await(0);
    } catch (error) {
      await thread.#worker.terminate();
      throw error;
    }
    return thread;
  }

  get closed(): boolean {
    return this.#closed;
  }

  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(undefined, text, params, options);
  }

  exec(text: string, options?: QueryOptions): Promise<Results[]> {
    return this.#exec(undefined, text, options);
  }

  async transaction<T>(callback: (tx: EmbeddedTransaction) => Promise<T>): Promise<T> {
    const id = (await this.#send({ op: 'begin' })) as number;
    let ended = false;
    const end = (commit: boolean) => {
      ended = true;
      return this.#send({ op: 'end', tx: id, commit }) as Promise<void>;
    };
    const tx: EmbeddedTransaction = {
      query: <R>(text: string, params?: unknown[], options?: QueryOptions) => this.#query<R>(id, text, params, options),
      exec: (text, options) => this.#exec(id, text, options),
      rollback: () => end(false),
      get closed() {
        return ended;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      if (!ended) await end(false);
      throw error;
    }
    if (!ended) await end(true);
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#send({ op: 'close' });
    } finally {
      this.#closed = true;
      await this.#worker.terminate();
    }
  }

  /** `tx`: the transaction the statement belongs to, or none. */
  #query<T>(tx: number | undefined, text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#send({ op: 'query', text, params, options: this.#sendable(options), tx }) as Promise<Results<T>>;
  }

  #exec(tx: number | undefined, text: string, options?: QueryOptions): Promise<Results[]> {
    return this.#send({ op: 'exec', text, options: this.#sendable(options), tx }) as Promise<Results[]>;
  }

  /**
   * Options as they can cross: functions cannot, so parsers go only where the thread has them installed already
   * (drizzle's driver asks for those with every statement) and anything else is refused rather than dropped.
   */
  #sendable(options: QueryOptions | undefined): QueryOptions | undefined {
    if (!options) return undefined;
    const { parsers, rowMode, paramTypes, ...rest } = options;
    const unsendable = [...Object.keys(rest), ...Object.keys(parsers ?? {}).filter((type) => !this.#installedTypes.has(type)).map((type) => `parser for type ${type}`)];
    if (unsendable.length) throw new Error(`the embedded database thread cannot take these query options: ${unsendable.join(', ')}`);
    return { ...(rowMode ? { rowMode } : {}), ...(paramTypes ? { paramTypes } : {}) };
  }

  #send(message: Message): Promise<unknown> {
    if (this.#stopped) return Promise.reject(new DatabaseThreadStoppedError(this.#stopped));
    if (this.#closed) return Promise.reject(new Error('the embedded database is closed'));
    const id = this.#nextId++;
    const answer = this.#await(id);
    this.#worker.postMessage({ id, ...message });
    return answer;
  }

  #await(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
    });
  }
}
