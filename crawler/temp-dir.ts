import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processExists } from '../storage/index.js';

/** The directories this process made: runs side by side in one process (tests do) keep each other's. */
const madeHere = new Set<string>();

/**
 * A directory named with this process's pid, for a crawl's downloads on their way to the store or an extraction
 * worker's copies of the documents it reads. A process killed outright (SIGKILL, the OOM killer) cannot remove its
 * own, and leaves files in it as large as the attachments; so each first removes those of processes that are gone.
 */
export async function makeProcessTempDir(purpose: 'crawl' | 'extract', root = tmpdir()): Promise<string> {
  const prefix = `wdtk-${purpose}-`;
  const leftBy = new RegExp(`^${prefix}(\\d+)-`);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(leftBy.exec(name)?.[1]);
    const dir = path.join(root, name);
    // One with our own pid that we did not make was left by an earlier process given the same pid: in a container the
    // archiver is pid 1, and so is the container's next process after a kill.
    const leftBehind = pid === process.pid ? !madeHere.has(dir) : pid > 0 && !processExists(pid);
    if (leftBehind) await rm(dir, { recursive: true, force: true });
  }
  const made = await mkdtemp(path.join(root, `${prefix}${process.pid}-`));
  madeHere.add(made);
  return made;
}
