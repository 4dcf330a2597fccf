import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import {
  configFromEnv,
  openArchive,
  openEmbeddedDatabase,
  type Archive,
  type ArchiveConfig,
  type EmbeddedDatabase,
  type S3Config,
  type StorageTimeouts,
} from '../../storage/index.js';
import { S3BlobStore } from '../../storage/blobs/index.js';
import { pgliteVersion } from '../../storage/db/connect.js';

export interface TestArchive {
  archive: Archive;
  cleanup(): Promise<void>;
}

/**
 * A migrated database kept for the whole test file (worker process) and emptied between test archives:
 * a PGlite instance costs seconds and ~650 MB, a server database a CREATE + migrations.
 */
interface SharedDatabase {
  /** an embedded database (PGlite as an archive opens it), or a database URL on the server */
  target: { embedded: EmbeddedDatabase } | { databaseUrl: string };
  /** run one statement against it (outside any test archive) */
  exec(statement: string): Promise<{ rows: Record<string, unknown>[] }>;
  dispose(): Promise<void>;
}

const idle: SharedDatabase[] = [];
const all: SharedDatabase[] = [];

// The helper is imported while a test file is collected, so this runs once when that file ends.
afterAll(async () => {
  idle.length = 0;
  for (const database of all.splice(0)) await database.dispose();
});

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function pgliteDatabase(client: EmbeddedDatabase): SharedDatabase {
  return {
    target: { embedded: client },
    exec: (statement) => client.query(statement) as Promise<{ rows: Record<string, unknown>[] }>,
    dispose: async () => {
      if (!client.closed) await client.close();
    },
  };
}

const emptyPglite = async () => pgliteDatabase(await openEmbeddedDatabase(undefined));

/**
 * A migrated PGlite data dir, dumped once per migrations + PGlite version into the temp dir and loaded
 * by every test file after: loading takes a few seconds where initdb + migrations take five times that.
 */
async function migratedPglite(): Promise<SharedDatabase> {
  const migrations = path.join(import.meta.dirname, '../../migrations');
  const hash = createHash('sha256').update(pgliteVersion());
  for (const entry of (await readdir(migrations, { recursive: true })).sort()) {
    if (entry.endsWith('.sql') || entry.endsWith('_journal.json')) hash.update(entry).update(await readFile(path.join(migrations, entry)));
  }
  const dumpPath = path.join(tmpdir(), `wdtk-test-pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`);
  const dump = await readFile(dumpPath).catch(() => null);
  if (dump) return pgliteDatabase(await openEmbeddedDatabase(undefined, { dump }));
  const first = await openEmbeddedDatabase(undefined);
  let fresh: Uint8Array;
  try {
    await migrateOnce({ target: { embedded: first } });
    fresh = await first.dump();
  } finally {
    await first.close();
  }
  // written aside and renamed, so a test file starting meanwhile never reads half a dump
  const partial = `${dumpPath}.${process.pid}.partial`;
  await writeFile(partial, fresh);
  await rename(partial, dumpPath);
  return pgliteDatabase(await openEmbeddedDatabase(undefined, { dump: fresh }));
}

async function emptyServerDatabase(serverUrl: string): Promise<SharedDatabase> {
  const name = `wdtk_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    target: { databaseUrl },
    exec: (statement) => withAdmin(databaseUrl, (client) => client.query(statement)),
    dispose: () => withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

const emptyDatabase = (serverUrl: string | undefined) => (serverUrl ? emptyServerDatabase(serverUrl) : emptyPglite());

async function migrateOnce(database: Pick<SharedDatabase, 'target'>): Promise<void> {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-migrate-'));
  const { target } = database;
  try {
    const archive = await openArchive({ archiveDir, ...('databaseUrl' in target ? target : {}) }, 'embedded' in target ? target : {});
    await archive.close();
  } finally {
    await rm(archiveDir, { recursive: true, force: true });
  }
}

/** Empties every table of the schema; the drizzle migrations table lives in its own schema and stays. */
const truncateAll = (database: SharedDatabase) =>
  database.exec(`do $$ begin
    execute (select 'truncate ' || string_agg(format('%I', tablename), ', ') || ' restart identity cascade'
             from pg_tables where schemaname = 'public');
  end $$`);

async function acquireMigrated(serverUrl: string | undefined): Promise<SharedDatabase> {
  const reused = idle.pop();
  if (reused && !('embedded' in reused.target && reused.target.embedded.closed)) {
    await truncateAll(reused);
    return reused;
  }
  // Only the first time in this file, or when a test holds two archives at once.
  const database = serverUrl ? await emptyServerDatabase(serverUrl) : await migratedPglite();
  all.push(database);
  if (serverUrl) await migrateOnce(database);
  return database;
}

async function emptyBucket(store: S3BlobStore): Promise<void> {
  const names: string[] = [];
  for await (const item of store.client.listObjectsV2(store.bucket, '', true) as AsyncIterable<{ name?: string }>) {
    if (item.name) names.push(item.name);
  }
  if (names.length) await store.client.removeObjects(store.bucket, names);
  await store.client.removeBucket(store.bucket);
}

/**
 * An empty, migrated archive with its own temp dir for blobs. Embedded by default (PGlite + files);
 * with DATABASE_URL a database on that server, with S3_ENDPOINT a fresh bucket. The database is shared
 * by the archives of one test file in turn (emptied on each open), so archive.close() leaves it open;
 * cleanup() removes the dir and bucket and hands the database back.
 * `migrate: false` gives a database of its own with no tables yet (for migration tests);
 * `searchExactLimit` lowers the count past which search totals become estimates; `jobLeaseSeconds` shortens the
 * time after which an extraction claim its worker has not renewed is handed out again; `s3` puts the originals on
 * that store (a test's own S3 server) instead of the setting's; `timeouts` shortens the limits on silent servers.
 */
export async function openTestArchive(
  opts: { migrate?: boolean; searchExactLimit?: number; jobLeaseSeconds?: number; s3?: S3Config; timeouts?: StorageTimeouts } = {},
): Promise<TestArchive> {
  const migrate = opts.migrate ?? true;
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-archive-'));
  const env = configFromEnv(process.env, { archiveDir });
  const undo: (() => Promise<void>)[] = [() => rm(archiveDir, { recursive: true, force: true })];
  try {
    let database: SharedDatabase;
    if (migrate) {
      database = await acquireMigrated(env.databaseUrl);
      undo.unshift(async () => {
        idle.push(database);
      });
    } else {
      database = await emptyDatabase(env.databaseUrl);
      undo.unshift(database.dispose);
    }
    const config: ArchiveConfig = { archiveDir, ...('databaseUrl' in database.target ? database.target : {}) };
    if (opts.s3) config.s3 = opts.s3;
    else if (env.s3) config.s3 = { ...env.s3, bucket: `wdtk-t-${randomBytes(6).toString('hex')}` };
    const archive = await openArchive(config, {
      migrate: false,
      ...('embedded' in database.target ? database.target : {}),
      ...(opts.searchExactLimit === undefined ? {} : { searchExactLimit: opts.searchExactLimit }),
      ...(opts.jobLeaseSeconds === undefined ? {} : { jobLeaseSeconds: opts.jobLeaseSeconds }),
      ...(opts.timeouts === undefined ? {} : { timeouts: opts.timeouts }),
    });
    if (archive.blobs instanceof S3BlobStore) {
      const store = archive.blobs;
      undo.unshift(() => emptyBucket(store));
    }
    undo.unshift(() => archive.close());
    let cleaned = false;
    return {
      archive,
      async cleanup() {
        if (cleaned) return;
        cleaned = true;
        for (const step of undo) await step();
      },
    };
  } catch (error) {
    for (const step of undo) await step().catch(() => {});
    throw error;
  }
}
