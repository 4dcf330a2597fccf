import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { expect, test } from 'vitest';
import { rowsOf } from '../../storage/db/connect.js';
import { openArchive, schema } from '../../storage/index.js';

// One of each type drizzle's PGlite driver asks to keep as text, a few it leaves to PGlite, and a stored timestamp.
const EVERY_TYPE = sql`select timestamp '2020-01-02 03:04:05.678' as ts, timestamptz '2020-01-02 03:04:05+01' as tz,
  interval '1 day 02:00' as iv, date '2020-01-02' as d, array[1.5, 2]::numeric[] as numerics,
  array[timestamp '2020-01-02 03:04:05'] as timestamps, array[timestamptz '2020-01-02 03:04:05+00'] as timestamptzs,
  array[interval '1 hour'] as intervals, array[date '2020-01-02'] as dates,
  12::int as int4, 12::bigint as int8, 1.25::numeric as num, '{"a": 1}'::jsonb as doc, array[1, 2] as ints, true as flag,
  (select min(started_at) from runs) as started`;

test('an embedded archive reads every type as drizzle reads it on a plain PGlite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-pglite-driver-'));
  try {
    // Migrated and one row written through the archive (its parsers installed once); the expected rows are read with
    // drizzle's own driver on a plain PGlite, opened on the same data directory once the archive is shut.
    const first = await openArchive({ archiveDir: dir });
    await first.runs.start({ all: true });
    await first.close();
    const plainClient = await PGlite.create(path.join(dir, 'pg'), { extensions: { pg_trgm } });
    const plain = drizzle({ client: plainClient, schema });
    const expectedRows = (await plain.execute(EVERY_TYPE)).rows;
    const expectedRuns = await plain.select().from(schema.runs);
    await plainClient.close();

    const archive = await openArchive({ archiveDir: dir });
    try {
      expect(await rowsOf(archive.db, EVERY_TYPE)).toEqual(expectedRows);
      expect(await archive.db.select().from(schema.runs)).toEqual(expectedRuns);
      expect(expectedRuns[0]!.startedAt).toBeInstanceOf(Date);
    } finally {
      await archive.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
