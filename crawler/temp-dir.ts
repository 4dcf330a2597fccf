import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processExists } from '../storage/index.js';

const PREFIX = 'wdtk-crawl-';
const LEFT_BY = new RegExp(`^${PREFIX}(\\d+)-`);

/**
 * A run's directory for downloads on their way to the store, named with the run's pid. A run killed outright
 * (SIGKILL, the OOM killer) cannot remove its own, and leaves up to one partial download per worker in it, as large
 * as the attachments; so each run first removes the directories of processes that no longer exist.
 */
export async function makeRunTempDir(root = tmpdir()): Promise<string> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(LEFT_BY.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !processExists(pid)) await rm(path.join(root, name), { recursive: true, force: true });
  }
  return mkdtemp(path.join(root, `${PREFIX}${process.pid}-`));
}
