import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddedDatabaseError, openEmbeddedDatabase, writeDataDirTemplate, type EmbeddedDatabase } from '../../storage/index.js';
import { runScript } from '../helpers/cli.js';

describe('the embedded database', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await openEmbeddedDatabase(undefined);
    await db.exec('create table items (id int primary key, name text not null)');
  }, 60_000);
  afterAll(() => db.close());

  test('is created with the settings it runs with: initdb writes them into postgresql.conf', async () => {
    const fromFile = await db.query<{ setting: string }>("select setting from pg_file_settings where name = 'shared_buffers'");
    expect(fromFile.rows).toEqual([{ setting: '16MB' }]);
    expect((await db.query<{ shared_buffers: string }>('show shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
  });

  test("a failed statement reports PostgreSQL's code, constraint and detail", async () => {
    await db.query('insert into items values ($1, $2)', [1, 'first']);
    const failure = await db.query('insert into items values ($1, $2)', [1, 'again']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ code: '23505', constraint: 'items_pkey', detail: 'Key (id)=(1) already exists.' });
    expect((await db.query<{ n: number }>('select count(*)::int as n from items')).rows).toEqual([{ n: 1 }]);
  });

  test('a transaction keeps other statements out until it ends, and a failed one leaves nothing', async () => {
    let countedDuring: Promise<unknown> | undefined;
    await db.transaction(async (tx) => {
      await tx.query('insert into items values ($1, $2)', [2, 'second']);
      // Issued while the transaction is open: it runs after the commit, so it sees the row.
      countedDuring = db.query('select count(*)::int as n from items');
      await tx.query('update items set name = $1 where id = $2', ['second, renamed', 2]);
    });
    expect(((await countedDuring) as { rows: unknown[] }).rows).toEqual([{ n: 2 }]);

    const failed = db.transaction(async (tx) => {
      await tx.query('insert into items values ($1, $2)', [3, 'third']);
      await tx.query('insert into items values ($1, $2)', [3, 'third again']);
    });
    await expect(failed).rejects.toMatchObject({ code: '23505' });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into items values ($1, $2)', [4, 'fourth']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await db.query('select id, name from items order by id')).rows).toEqual([
      { id: 1, name: 'first' },
      { id: 2, name: 'second, renamed' },
    ]);
  });

  test('results come back in the row mode asked for, with dates kept as text', async () => {
    const result = await db.query("select 1 as a, timestamptz '2020-01-02 03:04:05+00' as at, '\\x0102'::bytea as raw", [], { rowMode: 'array' });
    expect(result.rows).toEqual([[1, '2020-01-02 03:04:05+00', new Uint8Array([1, 2])]]);
  });

  test('a parser the database does not keep goes with its statement, and the kept ones still apply', async () => {
    const doubled = await db.query("select 21 as n, timestamptz '2020-01-02 03:04:05+00' as at", [], {
      parsers: { 23: (value: string) => Number(value) * 2 },
    });
    expect(doubled.rows).toEqual([{ n: 42, at: '2020-01-02 03:04:05+00' }]);
  });
});

async function systemIdentifier(db: EmbeddedDatabase): Promise<string> {
  return (await db.query<{ id: string }>('select system_identifier::text as id from pg_control_system()')).rows[0]!.id;
}

test('a new database is a template unpacked when there is one, and an existing one opens as it is', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-embedded-template-'));
  try {
    const template = path.join(dir, 'initdb.tar.gz');
    await writeDataDirTemplate(template);
    const first = await openEmbeddedDatabase(path.join(dir, 'first'), { template });
    const templateId = await systemIdentifier(first);
    expect((await first.query("select setting from pg_file_settings where name = 'shared_buffers'")).rows).toEqual([{ setting: '16MB' }]);
    await first.exec('create table kept (n int); insert into kept values (1)');
    await first.close();

    // initdb gives each database an identifier of its own; one unpacked from the template keeps the template's.
    const second = await openEmbeddedDatabase(path.join(dir, 'second'), { template });
    expect(await systemIdentifier(second).finally(() => second.close())).toBe(templateId);
    const reopened = await openEmbeddedDatabase(path.join(dir, 'first'), { template });
    expect((await reopened.query('select n from kept').finally(() => reopened.close())).rows).toEqual([{ n: 1 }]);
    const withoutTemplate = await openEmbeddedDatabase(path.join(dir, 'third'), { template: path.join(dir, 'missing.tar.gz') });
    expect(await systemIdentifier(withoutTemplate).finally(() => withoutTemplate.close())).not.toBe(templateId);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

test('a template is unpacked beside the new database first: a damaged one is refused and leaves nothing behind', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-embedded-unpack-'));
  try {
    const template = path.join(dir, 'initdb.tar.gz');
    await writeDataDirTemplate(template);
    const packed = await readFile(template);
    const damaged = path.join(dir, 'damaged.tar.gz');
    await writeFile(damaged, packed.subarray(0, packed.length >> 1));
    const refused = await openEmbeddedDatabase(path.join(dir, 'db'), { template: damaged }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EmbeddedDatabaseError);
    expect(await readdir(dir)).toEqual(['damaged.tar.gz', 'initdb.tar.gz']);

    // What a process killed while unpacking left is cleared by the next one.
    await mkdir(path.join(dir, 'db.partial', 'base'), { recursive: true });
    await writeFile(path.join(dir, 'db.partial', 'PG_VERSION'), 'half');
    const db = await openEmbeddedDatabase(path.join(dir, 'db'), { template });
    expect((await db.query<{ n: number }>('select 1 as n').finally(() => db.close())).rows).toEqual([{ n: 1 }]);
    expect(await readdir(dir)).toEqual(['damaged.tar.gz', 'db', 'initdb.tar.gz']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

test('a closed embedded database refuses statements, and an open one does not keep a process running', async () => {
  const closed = await openEmbeddedDatabase(undefined);
  await closed.close();
  expect(closed.closed).toBe(true);
  await expect(closed.query('select 1')).rejects.toThrow('PGlite is closed');

  // A process that opened an archive and never closed it still ends once its statements are done.
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-embedded-'));
  try {
    const script = `import('./storage/index.ts').then(async ({ openArchive }) => {
      const archive = await openArchive({ archiveDir: ${JSON.stringify(archiveDir)} });
      console.log((await archive.runs.list()).length);
    })`;
    const started = Date.now();
    const { stdout, stderr, code } = await runScript(script);
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe('0');
    expect(Date.now() - started).toBeLessThan(50_000);
  } finally {
    await rm(archiveDir, { recursive: true, force: true });
  }
}, 90_000);
