import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';

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

export interface EmbeddedDatabaseOptions {
  /** where the database lives; without it, in memory */
  dataDir?: string;
  /** a packed data directory (`dump()`) to start a new database from */
  dump?: Uint8Array;
  /** server settings as `-c name=value` pairs: added to PGlite's default start parameters, and given to initdb */
  settings: string[];
  /** types whose values stay text, for every query (drizzle maps them itself) */
  textTypes: number[];
}

/**
 * PGlite, with the result parsers drizzle's driver asks for installed once. The driver sends the same parsers with
 * every statement, and PGlite merges them by copying its whole parser table each time (0.15-0.3 ms a statement,
 * bench/README.md part 15); here a statement carries only parsers the instance does not have already.
 *
 * It runs on the caller's thread. It ran in a worker thread of its own from part 18 of bench/README.md until part 25,
 * which measured the thread's worth with the rate limit off: none at 1,000 and 3,000 requests, 14% of a 10,000-request
 * crawl against a site answering after 5 ms. At the default rate a crawl waits on the site, and the thread's second V8
 * isolate and second copy of PGlite's JavaScript cost 30-40 MiB of every crawl's peak.
 */
export class EmbeddedPglite implements EmbeddedDatabase {
  readonly #db: PGlite;
  readonly #installedTypes: Set<string>;

  private constructor(db: PGlite, textTypes: number[]) {
    this.#db = db;
    this.#installedTypes = new Set(textTypes.map(String));
  }

  /** Opens (or creates) the database; rejects with what PGlite threw, an Error or Emscripten's `{ name, errno }`. */
  static async open(options: EmbeddedDatabaseOptions): Promise<EmbeddedPglite> {
    const [{ PGlite }, { pg_trgm }, { unaccent }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('@electric-sql/pglite/contrib/unaccent'),
    ]);
    const db = await PGlite.create(options.dataDir, {
      extensions: { pg_trgm, unaccent },
      startParams: [...PGlite.defaultStartParams, ...options.settings],
      // Without them initdb writes Postgres's default 128 MB of shared buffers into postgresql.conf and bootstraps the
      // catalogs with it, beside the new database's own instance: about 40 MiB more at the peak of creating an archive.
      initDbStartParams: options.settings,
      ...(options.dump ? { loadDataDir: new Blob([options.dump]) } : {}),
    });
    const keepText = (value: string) => value;
    for (const type of options.textTypes) db.parsers[type] = keepText;
    return new EmbeddedPglite(db, options.textTypes);
  }

  get closed(): boolean {
    return this.#db.closed;
  }

  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#db.query<T>(text, params, this.#uninstalled(options));
  }

  exec(text: string, options?: QueryOptions): Promise<Results[]> {
    return this.#db.exec(text, this.#uninstalled(options));
  }

  transaction<T>(callback: (tx: EmbeddedTransaction) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx: Transaction) =>
      callback({
        query: <R>(text: string, params?: unknown[], options?: QueryOptions) => tx.query<R>(text, params, this.#uninstalled(options)),
        exec: (text, options) => tx.exec(text, this.#uninstalled(options)),
        rollback: () => tx.rollback(),
        get closed() {
          return tx.closed;
        },
      }),
    );
  }

  /** The data directory, packed (a gzipped tarball): what `dump` takes to start another database from. */
  async dump(): Promise<Uint8Array> {
    return new Uint8Array(await (await this.#db.dumpDataDir('gzip')).arrayBuffer());
  }

  async close(): Promise<void> {
    if (!this.#db.closed) await this.#db.close();
  }

  /** The options without the parsers the instance has already; any other parser still goes with the statement. */
  #uninstalled(options: QueryOptions | undefined): QueryOptions | undefined {
    if (!options?.parsers) return options;
    const { parsers, ...rest } = options;
    const others = Object.entries(parsers).filter(([type]) => !this.#installedTypes.has(type));
    return others.length ? { ...rest, parsers: Object.fromEntries(others) } : rest;
  }
}
