import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ArchiveBusyError } from './errors.js';

/** Whether a process with this pid exists on this machine (one we may not signal counts). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock files this process holds: one named with our pid that is not among them was left by another process. */
const heldHere = new Set<string>();

/**
 * Exclusive `<archiveDir>/.lock` holding our pid and host name: PGlite corrupts a data dir opened by two processes.
 * A lock left by a dead process is taken over; so is one with our own pid that we do not hold, left by an earlier
 * process given the same pid (in a container the program is pid 1, and so is the container's next process after a
 * kill). One from another host name (another container sharing the directory) cannot be checked, and is respected.
 * Returns the release function.
 */
export async function lockArchiveDir(archiveDir: string): Promise<() => Promise<void>> {
  await mkdir(archiveDir, { recursive: true });
  const lockPath = path.resolve(archiveDir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n${hostname()}\n`);
      await handle.close();
      heldHere.add(lockPath);
      return async () => {
        if (!heldHere.delete(lockPath)) return;
        const [holder] = await readHolder(lockPath);
        if (holder === process.pid) await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [holder, host] = await readHolder(lockPath);
    if (host !== hostname()) throw new ArchiveBusyError(archiveDir, holder, host);
    const alive = holder === process.pid ? heldHere.has(lockPath) : Number.isInteger(holder) && holder > 0 && processExists(holder);
    if (alive) throw new ArchiveBusyError(archiveDir, holder);
    await rm(lockPath, { force: true });
  }
  throw new ArchiveBusyError(archiveDir, 0);
}

/** The pid and host name a lock file holds; a lock written before host names were kept is this host's. */
async function readHolder(lockPath: string): Promise<[pid: number, host: string]> {
  const [pid = '', host = ''] = (await readFile(lockPath, 'utf8').catch(() => '')).split('\n');
  return [Number(pid.trim()), host.trim() || hostname()];
}
