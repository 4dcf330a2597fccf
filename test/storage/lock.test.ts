import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ArchiveBusyError, EmbeddedDatabaseError, openArchive } from '../../storage/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// Embedded mode only: PGlite must never be opened by two processes at once.
test('the lock file refuses a second open, and a stale lock of a dead process is taken over', async () => {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-lock-'));
  dirs.push(archiveDir);
  const first = await openArchive({ archiveDir });
  expect(first.mode).toEqual({ db: 'pglite', blobs: 'files' });
  expect(await readFile(path.join(archiveDir, '.lock'), 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);
  const second = openArchive({ archiveDir });
  await expect(second).rejects.toBeInstanceOf(ArchiveBusyError);
  await expect(second).rejects.toThrow(`archive ${archiveDir} is in use by process ${process.pid}`);
  await first.ensureSite('http://127.0.0.1:1');
  await first.close();

  // a crashed process left its lock behind: pid 2^22+1 is above Linux's pid_max default and not running
  await writeFile(path.join(archiveDir, '.lock'), '4194305\n');
  const reopened = await openArchive({ archiveDir });
  expect(await reopened.ensureSite('http://127.0.0.1:1')).toBe(1);
  await reopened.close();
  await expect(readFile(path.join(archiveDir, '.lock'), 'utf8')).rejects.toThrow();
});

// In a container the program is pid 1, and so is the container's next process after a kill (restart: unless-stopped).
test('a lock with this process\'s own pid that it does not hold was left by an earlier process, and is taken over', async () => {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-lock-'));
  dirs.push(archiveDir);
  // As this version writes it, and as versions before it did, without the host name.
  for (const left of [`${process.pid}\n${hostname()}\n`, `${process.pid}\n`]) {
    await writeFile(path.join(archiveDir, '.lock'), left);
    const reopened = await openArchive({ archiveDir });
    expect(await reopened.ensureSite('http://127.0.0.1:1')).toBe(1);
    await reopened.close();
    await expect(readFile(path.join(archiveDir, '.lock'), 'utf8')).rejects.toThrow();
  }
});

// Another container sharing the directory: its processes cannot be seen from here, whatever their pids.
test('a lock taken on another host is respected, and the error names the host and how to release it', async () => {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-lock-'));
  dirs.push(archiveDir);
  await writeFile(path.join(archiveDir, '.lock'), `${process.pid}\nanother-container\n`);
  await expect(openArchive({ archiveDir })).rejects.toThrow(
    `archive ${archiveDir} is in use by process ${process.pid} on another-container; if nothing on another-container uses it any more ` +
      `(a container made anew after a kill), delete ${path.join(archiveDir, '.lock')}`,
  );
  expect(await readFile(path.join(archiveDir, '.lock'), 'utf8')).toBe(`${process.pid}\nanother-container\n`);
});

test('an embedded database that cannot be opened fails with the reason, and leaves the archive unlocked', async () => {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-lock-'));
  dirs.push(archiveDir);
  // pg/ should be PGlite's data directory; here it is a file
  await writeFile(path.join(archiveDir, 'pg'), 'not a database');
  for (let attempt = 0; attempt < 2; attempt++) {
    const opening = openArchive({ archiveDir });
    await expect(opening).rejects.toBeInstanceOf(EmbeddedDatabaseError);
    await expect(opening).rejects.toThrow(`cannot open the embedded database in ${path.join(archiveDir, 'pg')}: not a directory (ErrnoError 54)`);
  }
  await expect(readFile(path.join(archiveDir, '.lock'), 'utf8')).rejects.toThrow();
});
