// Runs in a worker thread (storage/blobs/files.ts): puts one file into the file blob store with blocking calls, a
// body in memory written first, a streamed one already written to its temporary file by the caller. Each async file
// call would cost the crawl's main thread a round trip to libuv's pool, about 0.07 ms each and up to nine of them
// per body; here they cost it one message. Plain JavaScript with Node's own modules only, so the thread starts
// small and without the TypeScript loader.
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, task }) => parentPort.postMessage({ id, outcome: putBlobFile(task) }));

/**
 * @param {{ tmpPath: string; finalPath: string; size: number; bytes?: Uint8Array }} task
 * @returns {{ created: boolean } | { error: { message: string; code?: string } }}
 */
function putBlobFile({ tmpPath, finalPath, size, bytes }) {
  try {
    if (sizeOf(finalPath) === size) {
      rmSync(tmpPath, { force: true });
      return { created: false };
    }
    if (bytes) writeDurably(tmpPath, bytes);
    const { made } = inDirectory(finalPath, () => renameSync(tmpPath, finalPath));
    // The rename is what makes the blob exist: it must be on disk before the row that says it does. A directory
    // made on the way has to be recorded in its parent too.
    for (const dir of [...made.map((d) => path.dirname(d)), path.dirname(finalPath)]) syncDirectory(dir);
    return { created: true };
  } catch (error) {
    // The caller removes the temporary file. An Error loses its code on the way back to the main thread; the caller
    // rebuilds it from these.
    return { error: { message: error instanceof Error ? error.message : String(error), code: error?.code } };
  }
}

function sizeOf(filePath) {
  try {
    return statSync(filePath).size;
  } catch {
    return -1;
  }
}

function writeDurably(filePath, bytes) {
  const { result: fd } = inDirectory(filePath, () => openSync(filePath, 'wx'));
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    // The bytes and the size; the rest of the metadata is not needed to read them back.
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Runs `action`, making the file's directory first only if the action finds it missing (one call fewer per file). */
function inDirectory(filePath, action) {
  try {
    return { result: action(), made: [] };
  } catch (error) {
    if (error?.code !== 'ENOENT') throw error;
    const dir = path.dirname(filePath);
    const first = mkdirSync(dir, { recursive: true });
    const made = [];
    for (let d = dir; first !== undefined && d.length >= first.length; d = path.dirname(d)) made.unshift(d);
    return { result: action(), made };
  }
}

function syncDirectory(dir) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
