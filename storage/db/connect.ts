import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { migrationsFolder } from '../../migrations/index.js';
import { EmbeddedDatabaseError } from '../errors.js';
import { EmbeddedPglite, type EmbeddedDatabase } from './embedded.js';
import * as schema from './schema.js';

/** The drizzle instance, typed with the schema; the same for PGlite and node-postgres. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DbHandle {
  kind: 'pglite' | 'postgres';
  db: Db;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** postgres only: the pool, for work that needs its own connection (advisory locks). */
  pool?: pg.Pool;
}

/** A WebAssembly function index larger than any module has. */
const NO_FUNCTION_INDEX = 2 ** 31 - 1;

export interface EmbeddedStart {
  /** a packed data directory (`dump()`) to start a new database from */
  dump?: Uint8Array;
  /**
   * for a new database without `dump`: a packed data directory to unpack instead of running initdb, used if the file
   * exists; null runs initdb. Default: the one the build made for the installed PGlite (`dataDirTemplate()`).
   */
  template?: string | null;
  /** Postgres's buffer cache, in MB; default DEFAULT_SHARED_BUFFERS_MB */
  sharedBuffersMb?: number;
}

/**
 * Postgres's default 128 MB of shared buffers becomes resident WebAssembly memory that is never given back, and the OS
 * page cache holds the files anyway. 16 MB: 8 MB made searches of a 2,000-request archive 25% slower, 16 MB 5%
 * (bench/README.md, part 23).
 */
export const DEFAULT_SHARED_BUFFERS_MB = 16;

/** The embedded database in `dataDir`, or in memory without one; a new one starts from `start`, else from initdb. */
export async function openEmbeddedDatabase(dataDir: string | undefined, start: EmbeddedStart = {}): Promise<EmbeddedPglite> {
  // V8 compiles PGlite's WebAssembly with its baseline compiler (Liftoff), then recompiles each function that has run
  // for a while with its optimizing one. Recompiling Postgres's large functions kept about 70 MiB more resident on
  // Node 20, and on Node 24 made a crawl peak at 600-700 MiB. Liftoff alone did not change a crawl's or a search's time
  // measurably (bench/README.md, part 23): an embedded crawl waits on PGlite's JavaScript more than on the WebAssembly.
  // `--liftoff-only` is not read after start-up on Node 24; the tier-up filter (recompile only the function with this
  // index, and no function has it) is. It holds for the whole process.
  setFlagsFromString(`--wasm-tier-up-filter=${NO_FUNCTION_INDEX}`);
  const { types } = await import('@electric-sql/pglite');
  try {
    let dump = start.dump;
    const template = dump || holdsDatabase(dataDir) ? undefined : templateFile(start.template);
    if (template) {
      // On disk the template is unpacked before PGlite starts; in memory, PGlite loads it.
      const unpacked = dataDir !== undefined && (await unpackTemplate(template, dataDir));
      if (!unpacked) dump = await readFile(template);
    }
    return await EmbeddedPglite.open({
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(dump ? { dump } : {}),
      settings: ['-c', `shared_buffers=${start.sharedBuffersMb ?? DEFAULT_SHARED_BUFFERS_MB}MB`],
      textTypes: textKeptTypes(types),
    });
  } catch (error) {
    throw new EmbeddedDatabaseError(dataDir ?? 'memory', describeOpenFailure(error));
  }
}

export function holdsDatabase(dataDir: string | undefined): boolean {
  return dataDir !== undefined && existsSync(path.join(dataDir, 'PG_VERSION'));
}

/**
 * Unpacks the template into `dataDir` as a stream, before PGlite opens it. PGlite's own loading of a packed directory
 * holds it unpacked in memory (38 MiB, 16 of them a WAL segment) more than once: creating an archive that way peaked
 * 110-130 MiB above opening one (bench/README.md, part 28). False, with nothing written, if `dataDir` holds files
 * already; unpacked beside it first, so a process killed midway leaves no half database.
 */
async function unpackTemplate(file: string, dataDir: string): Promise<boolean> {
  const { extract } = await import('tar');
  // One name, not one per process: what a killed process left is removed here (an archive's directory is locked).
  const partial = `${dataDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    // PGlite packs absolute paths, which tar reports (TAR_ENTRY_INFO) as it makes them relative; any other warning is a
    // damaged template.
    const damage: string[] = [];
    const onwarn = (code: string, message: string) => {
      if (code !== 'TAR_ENTRY_INFO') damage.push(`${code}: ${message}`);
    };
    // Synchronous: asynchronously, a damaged file rejects while entries are still being written, and they would race
    // the clean-up below. Once per archive, and about as long as PGlite's own start. Read in small pieces: read whole
    // (the default), creating an archive peaked about 7 MiB higher on Node 24 (four runs each, ±5 MiB).
    extract({ file, cwd: partial, onwarn, sync: true, maxReadSize: 64 * 1024 });
    if (damage.length > 0) throw new Error(`the template ${file} is damaged (${damage[0]})`);
    // Replaces an empty directory, not one with files in it.
    await rename(partial, dataDir);
    return true;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/** The packed data directory a new database starts from (`EmbeddedStart.template`), if the file exists. */
function templateFile(template: string | null | undefined): string | undefined {
  if (template === null) return undefined;
  const file = template ?? dataDirTemplate();
  return existsSync(file) ? file : undefined;
}

/**
 * Where the build keeps a new database as initdb makes it, packed (scripts/build.mjs): beside this module, named for
 * the PGlite version that made it. initdb runs Postgres's bootstrap in a WebAssembly instance of its own, and with it
 * creating an archive peaked at about 630 MiB on Node 20; unpacking the template, at about 165 MiB (bench/README.md,
 * parts 26 and 28). Beside the sources (tsx) there is none, and a new database runs initdb.
 */
export function dataDirTemplate(): string {
  return fileURLToPath(new URL(`./initdb-pglite-${pgliteVersion()}.tar.gz`, import.meta.url));
}

/** The installed PGlite's version: a packed data directory is only good for the version that made it. */
export function pgliteVersion(): string {
  // The package exports no package.json: it sits above the `dist` folder its entry resolves into.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const packageJson = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), 'package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** Runs initdb in memory, with the settings every embedded database runs with, and writes the result packed to `file`. */
export async function writeDataDirTemplate(file: string): Promise<void> {
  const db = await openEmbeddedDatabase(undefined, { template: null });
  try {
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, await db.dump());
    await rename(partial, file);
  } finally {
    await db.close();
  }
}

// PGlite's WebAssembly file system throws { name: 'ErrnoError', errno } with Emscripten's own numbers, not Node's.
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: 'permission denied',
  31: 'is a directory',
  44: 'no such file or directory',
  51: 'no space left on device',
  54: 'not a directory',
  63: 'operation not permitted',
  69: 'read-only file system',
};

function describeOpenFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  const { name, errno } = (error ?? {}) as { name?: unknown; errno?: unknown };
  if (typeof errno === 'number') return `${EMSCRIPTEN_ERRNO[errno] ?? 'file-system error'} (${String(name ?? 'errno')} ${errno})`;
  return String(error);
}

// Each setting loads only its own driver: an embedded archive never loads pg, a server one never PGlite.
export async function pgliteHandle(client: EmbeddedDatabase, ownsClient: boolean): Promise<DbHandle> {
  const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')]);
  // drizzle's driver is typed for a PGlite instance; it calls only the part EmbeddedDatabase has.
  const db = drizzlePglite({ client: client as unknown as PGlite, schema });
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    migrate: () => migratePglite(db, { migrationsFolder }),
    close: async () => {
      if (ownsClient && !client.closed) await client.close();
    },
  };
}

/**
 * The types whose results drizzle's PGlite driver asks to keep as text (it maps them itself): dates, times,
 * intervals, numeric arrays and arrays of the others. The database keeps them as text for every statement: drizzle's
 * driver sends its parsers with each one, and PGlite merging them per statement cost 0.15-0.3 ms each.
 */
function textKeptTypes(types: typeof import('@electric-sql/pglite').types): number[] {
  const NUMERIC_ARRAY = 1231;
  const TIMESTAMP_ARRAY = 1115;
  const TIMESTAMPTZ_ARRAY = 1185;
  const INTERVAL_ARRAY = 1187;
  const DATE_ARRAY = 1182;
  return [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, NUMERIC_ARRAY, TIMESTAMP_ARRAY, TIMESTAMPTZ_ARRAY, INTERVAL_ARRAY, DATE_ARRAY];
}

/**
 * How long a PostgreSQL server may stay silent. Every process gives a new connection a bounded time. A statement
 * limit is set only by the processes that ask for one (crawl, schedule, work and serve; see `FOR_WRITING` and
 * `FOR_SERVING` in cli/context.ts): a search over a large archive or a re-hash of every original (verify) may rightly
 * take long. Migrations, which may build indexes over everything, run on connections of their own without the limit
 * whatever process runs them.
 */
export interface PostgresTimeouts {
  /** A new connection, until the server is ready for a statement. @default DEFAULT_CONNECT_TIMEOUT_MS */
  connectMs?: number;
  /** A statement, until its answer; null for none. @default null */
  statementMs?: number | null;
}

/**
 * 30 s for a connection, handshake included: milliseconds on a healthy server, and past a few lost SYNs (retried after
 * 1, 3 and 7 s) a link that loses more is no better than down.
 */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export async function postgresHandle(databaseUrl: string, timeouts: PostgresTimeouts = {}): Promise<DbHandle> {
  const [{ default: pg }, { drizzle: drizzlePg }, { migrate: migratePg }, { timedClientClass }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
    import('./timed-client.js'),
  ]);
  const connectMs = timeouts.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const newPool = (statementMs: number | null, max: number) => {
    // Keepalives: a run holds its lock on a connection that may sit idle for hours, which a firewall would cut; probing
    // after a minute idle (Linux waits two hours by default) keeps it open, and finds a peer that is gone.
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max,
      keepAlive: true,
      keepAliveInitialDelayMillis: 60_000,
      Client: timedClientClass(pg.Client, { connectMs, statementMs }),
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    // Nor one lent out, as a transaction's is: the pool stops listening to a client it lends, and a server restarting
    // mid-transaction ended the process. The statement in flight, or the next, fails with the reason instead, and the
    // pool drops the client when it comes back.
    pool.on('connect', (client) => client.on('error', () => {}));
    return pool;
  };
  const pool = newPool(timeouts.statementMs ?? null, 10);
  const db = drizzlePg({ client: pool, schema });
  const migrate = async () => {
    // Two connections: one holds the migration lock while the migrator applies migrations on the other.
    const migrationPool = newPool(null, 2);
    try {
      await migrateAlone(migrationPool, () => migratePg(drizzlePg({ client: migrationPool, schema }), { migrationsFolder }));
    } finally {
      await migrationPool.end();
    }
  };
  return {
    kind: 'postgres',
    db: db as unknown as Db,
    pool,
    migrate,
    close: () => pool.end(),
  };
}

// Beside the run and originals locks (storage/archive.ts: 'wdtk' in ASCII, and the next one).
const MIGRATION_LOCK_KEY = 0x7764746b + 2;

/**
 * Runs `migrate` holding an advisory lock on a connection of its own, waiting while another process holds it. drizzle's
 * migrator reads which migrations are applied and then applies the rest, unlocked: processes opening a new database
 * together (docker compose's archiver and web) each created the same tables, and all but one failed.
 */
async function migrateAlone(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  try {
    await migrate();
  } finally {
    // Released with its connection if the unlock fails: a session's advisory locks end with it.
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).then(
      () => client.release(),
      (error: Error) => client.release(error),
    );
  }
}

/** Raw SQL rows; both drivers answer `{ rows }`. */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
