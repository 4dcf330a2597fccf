import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { configFromEnv, openArchive, S3BlobStore, type Archive, type ArchiveConfig } from '../../storage/index.js';

export interface TestArchive {
  archive: Archive;
  cleanup(): Promise<void>;
}

// One migrated PGlite per test file (process); each test archive gets a clone (~1 s instead of 4-6 s).
let template: Promise<PGlite> | null = null;

function migratedTemplate(): Promise<PGlite> {
  template ??= (async () => {
    const client = await PGlite.create({ extensions: { pg_trgm } });
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-template-'));
    const archive = await openArchive({ archiveDir }, { pglite: client });
    await archive.close();
    await rm(archiveDir, { recursive: true, force: true });
    return client;
  })();
  return template;
}

async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wdtk_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
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
 * An empty, migrated archive in a temp dir. Embedded by default (a PGlite clone + files); with
 * DATABASE_URL a fresh database on that server, with S3_ENDPOINT a fresh bucket; all removed by cleanup().
 * `migrate: false` gives a database with no tables yet (for migration tests).
 */
export async function openTestArchive(opts: { migrate?: boolean } = {}): Promise<TestArchive> {
  const migrate = opts.migrate ?? true;
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-archive-'));
  const env = configFromEnv(process.env, { archiveDir });
  const config: ArchiveConfig = { archiveDir };
  const undo: (() => Promise<void>)[] = [() => rm(archiveDir, { recursive: true, force: true })];
  let pglite: PGlite | undefined;
  try {
    if (env.databaseUrl) {
      const database = await freshDatabase(env.databaseUrl);
      undo.unshift(database.drop);
      config.databaseUrl = database.url;
    } else {
      const client = migrate
        ? ((await (await migratedTemplate()).clone()) as PGlite)
        : await PGlite.create({ extensions: { pg_trgm } });
      pglite = client;
      undo.unshift(() => client.close());
    }
    if (env.s3) config.s3 = { ...env.s3, bucket: `wdtk-t-${randomBytes(6).toString('hex')}` };
    const archive = await openArchive(config, { migrate, ...(pglite ? { pglite } : {}) });
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
