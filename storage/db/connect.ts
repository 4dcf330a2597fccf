import { setFlagsFromString } from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { migrationsFolder } from '../../migrations/index.js';
import { EmbeddedDatabaseError } from '../errors.js';
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

export async function createPglite(dataDir: string): Promise<PGlite> {
  // V8 compiles PGlite's hot WebAssembly functions on as many background threads as it likes, and each thread's
  // malloc arena keeps its peak afterwards: about 30 MiB of resident memory that one compilation thread avoids.
  setFlagsFromString('--wasm-num-compilation-tasks=1');
  // Loaded on use, so the server setting never loads the embedded engine.
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')]);
  // Postgres's default 128 MB of shared buffers becomes resident WebAssembly memory that is never given back;
  // 32 MB keeps an embedded archive's process about 100 MiB smaller, and the OS page cache still holds the files.
  try {
    return await PGlite.create(dataDir, { extensions: { pg_trgm }, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'] });
  } catch (error) {
    throw new EmbeddedDatabaseError(dataDir, describeOpenFailure(error));
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
export async function pgliteHandle(client: PGlite, ownsClient: boolean): Promise<DbHandle> {
  const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')]);
  const db = drizzlePglite({ client, schema });
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    migrate: () => migratePglite(db, { migrationsFolder }),
    close: async () => {
      if (ownsClient && !client.closed) await client.close();
    },
  };
}

export async function postgresHandle(databaseUrl: string): Promise<DbHandle> {
  const [{ default: pg }, { drizzle: drizzlePg }, { migrate: migratePg }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzlePg({ client: pool, schema });
  return {
    kind: 'postgres',
    db: db as unknown as Db,
    pool,
    migrate: () => migratePg(db, { migrationsFolder }),
    close: () => pool.end(),
  };
}

/** Raw SQL rows; both drivers answer `{ rows }`. */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
