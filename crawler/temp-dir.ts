import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processExists } from '../storage/index.js';

const PREFIX = 'wdtk-crawl-';
const LEFT_BY = new RegExp(`^${PREFIX}(\\d+)-`);
/** The directories this process made: runs side by side in one process (tests do) keep each other's. */
const madeHere = new Set<string>();

/**
 * A run's directory for downloads on their way to the store, named with the run's pid. A run killed outright
 * (SIGKILL, the OOM killer) cannot remove its own, and leaves up to one partial download per worker in it, as large
 * as the attachments; so each run first removes the directories of processes that no longer exist.
 */
export async function makeRunTempDir(root = tmpdir()): Promise<string> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(LEFT_BY.exec(name)?.[1]);
    const dir = path.join(root, name);
    // One with our own pid that we did not make was left by an earlier process given the same pid: in a container the
    // crawl is pid 1, and so is the container's next process after a kill.
    const leftBehind = pid === process.pid ? !madeHere.has(dir) : pid > 0 && !processExists(pid);
    if (leftBehind) await rm(dir, { recursive: true, force: true });
  }
  const made = await mkdtemp(path.join(root, `${PREFIX}${process.pid}-`));
  madeHere.add(made);
  return made;
}
