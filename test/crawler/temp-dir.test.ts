import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runExtractionWorker } from '../../crawler/index.js';
import { makeProcessTempDir } from '../../crawler/temp-dir.js';
import { openTestArchive } from '../helpers/archive.js';

const roots: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of [...roots, ...dirs]) await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has come and gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

test("a run's temp directory replaces those of killed runs and leaves those of running ones", async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'wdtk-temp-root-'));
  roots.push(root);
  const killed = `wdtk-crawl-${await deadPid()}-Ab12Cd`;
  const running = `wdtk-crawl-${process.ppid}-Ef34Gh`;
  const unrelated = 'wdtk-crawl-notapid';
  for (const name of [killed, running, unrelated]) {
    await mkdir(path.join(root, name));
    await writeFile(path.join(root, name, 'partial-download'), 'the first bytes of an attachment');
  }

  const made = await makeProcessTempDir('crawl', root);
  expect(path.dirname(made)).toBe(root);
  expect(path.basename(made)).toMatch(new RegExp(`^wdtk-crawl-${process.pid}-`));
  expect((await readdir(root)).sort()).toEqual([running, unrelated, path.basename(made)].sort());

  // Another run in this process (tests run crawls side by side) keeps the first one's directory.
  const second = await makeProcessTempDir('crawl', root);
  expect((await readdir(root)).sort()).toEqual([running, unrelated, path.basename(made), path.basename(second)].sort());
});

// In a container the crawl is pid 1, and so is the same container's next process after a kill (restart: unless-stopped).
test('a directory named with this process\'s pid, but not made by it, was left by a killed process before it and goes', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'wdtk-temp-root-'));
  roots.push(root);
  const leftBySamePid = `wdtk-crawl-${process.pid}-Ij56Kl`;
  await mkdir(path.join(root, leftBySamePid));
  await writeFile(path.join(root, leftBySamePid, 'partial-download'), 'the first bytes of an attachment');

  const made = await makeProcessTempDir('crawl', root);
  expect(await readdir(root)).toEqual([path.basename(made)]);
});

test("an extraction worker removes the copies of documents a killed worker left in the system's temp directory", async () => {
  const killed = path.join(tmpdir(), `wdtk-extract-${await deadPid()}-Mn78Op`);
  const running = path.join(tmpdir(), `wdtk-extract-${process.ppid}-Qr90St`);
  dirs.push(killed, running);
  for (const dir of [killed, running]) {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'document-copy'), '%PDF-1.4 a released document');
  }

  const { archive, cleanup } = await openTestArchive();
  try {
    expect(await runExtractionWorker(archive)).toEqual({ completed: 0, failed: 0, requeued: 0 });
  } finally {
    await cleanup();
  }
  const left = await readdir(tmpdir());
  expect(left).not.toContain(path.basename(killed));
  expect(left).toContain(path.basename(running));
});
