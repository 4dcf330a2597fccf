import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError } from './errors.js';

function unreadable(file: string, error: unknown): CliError {
  return new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
}

export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
}

export async function assertReadable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw unreadable(file, error);
  }
}

/**
 * A name for a temporary file in `dir`: in the same directory as the file it becomes, so that the rename which puts
 * it in place is atomic. Short and unrelated to that file's name, which may already be as long as names can be.
 */
export function temporaryIn(dir: string): string {
  return path.join(dir, `.wdtk-archive-${randomBytes(8).toString('hex')}.tmp`);
}

/**
 * Makes `file` by `write`-ing a temporary file beside it, then renaming that into place: nobody sees the file half
 * written, and a failure leaves what was there before. Only the temporary file is removed on failure.
 */
export async function replaceThroughTemporary<T>(file: string, write: (temporary: string) => Promise<T>): Promise<T> {
  const temporary = temporaryIn(path.dirname(file));
  try {
    const result = await write(temporary);
    await rename(temporary, file);
    return result;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export function writeFileReplacing(file: string, data: string): Promise<void> {
  return replaceThroughTemporary(file, (temporary) => writeFile(temporary, data, { flag: 'wx', flush: true }));
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
