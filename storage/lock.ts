import { mkdir, open, readFile, rm } from 'node:fs/promises';
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

/**
 * Exclusive `<archiveDir>/.lock` holding our pid: PGlite corrupts a data dir opened by two processes.
 * A lock left by a dead process is taken over. Returns the release function.
 */
export async function lockArchiveDir(archiveDir: string): Promise<() => Promise<void>> {
  await mkdir(archiveDir, { recursive: true });
  const lockPath = path.join(archiveDir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        const holder = await readFile(lockPath, 'utf8').catch(() => '');
        if (Number(holder.trim()) === process.pid) await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && processExists(holder)) throw new ArchiveBusyError(archiveDir, holder);
    await rm(lockPath, { force: true });
  }
  throw new ArchiveBusyError(archiveDir, 0);
}
