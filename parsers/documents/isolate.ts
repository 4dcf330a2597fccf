import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { errorMessage } from './context.js';
import { tooLarge } from './extract.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  ExtractError,
  type ExtractErrorCode,
  type ExtractOptions,
  type ExtractResult,
} from './types.js';

export interface IsolatedJob {
  input: Uint8Array | string;
  opts: ExtractOptions;
}

export type WorkerReply = { ok: true; result: ExtractResult } | { ok: false; code: ExtractErrorCode; message: string };

/**
 * Time for a new worker to start and load pdf.js, on top of the document's own time limit. The other format libraries
 * load with the first document that needs them, within its time (0.2 s at most for each, on Node 24).
 */
const STARTUP_GRACE_MS = 10_000;
/** A worker is retired after this many documents, so slow leaks in parsing libraries cannot pile up. */
const JOBS_PER_WORKER = 50;
/** SheetJS 0.18.5 may pollute prototypes on crafted files (see formats/office.ts): never reuse a worker that ran it. */
const TYPES_THAT_RETIRE_A_WORKER = new Set(['xls', 'ods']);

interface PooledWorker {
  worker: Worker;
  memoryMb: number;
  jobs: number;
  started: boolean;
}

// Starting a worker costs seconds (tsx, pdf.js), so finished workers wait here, unref'd, for the next document.
const idleWorkers: PooledWorker[] = [];

function takeWorker(memoryMb: number): PooledWorker {
  const index = idleWorkers.findIndex((pooled) => pooled.memoryMb === memoryMb);
  if (index !== -1) {
    const [pooled] = idleWorkers.splice(index, 1);
    pooled!.worker.ref();
    return pooled!;
  }
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.ceil(memoryMb / 4)) },
  });
  return { worker, memoryMb, jobs: 0, started: false };
}

function releaseWorker(pooled: PooledWorker, result: ExtractResult | undefined): void {
  pooled.started = true;
  if (pooled.jobs >= JOBS_PER_WORKER || (result && usesRetiringType(result))) {
    void pooled.worker.terminate();
    return;
  }
  pooled.worker.unref();
  idleWorkers.push(pooled);
}

function usesRetiringType(result: ExtractResult): boolean {
  return TYPES_THAT_RETIRE_A_WORKER.has(result.type) || result.children.some(usesRetiringType);
}

/**
 * Extracts in a worker thread with a heap limit and a hard time limit: a hostile document that hangs,
 * loops or exhausts memory ends its worker, not the caller, and rejects with an ExtractError.
 */
export async function extractIsolated(input: Uint8Array | string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const maxBytes = opts.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (typeof input === 'string') {
    const size = await stat(input).then(
      (stats) => stats.size,
      (error: unknown) => {
        throw new ExtractError('unreadable', `cannot read ${input}: ${errorMessage(error)}`);
      },
    );
    if (size > maxBytes) throw tooLarge(size, maxBytes);
  } else if (input.length > maxBytes) {
    throw tooLarge(input.length, maxBytes);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const memoryMb = opts.memoryMb ?? DEFAULT_MEMORY_MB;
  const pooled = takeWorker(memoryMb);
  pooled.jobs++;
  const { worker } = pooled;
  return new Promise<ExtractResult>((resolve, reject) => {
    const cleanUp = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (code: ExtractErrorCode, message: string) => {
      cleanUp();
      void worker.terminate();
      reject(new ExtractError(code, message));
    };
    const onMessage = (reply: WorkerReply) => {
      cleanUp();
      releaseWorker(pooled, reply.ok ? reply.result : undefined);
      if (reply.ok) resolve(reply.result);
      else reject(new ExtractError(reply.code, reply.message));
    };
    const onError = (error: Error & { code?: string }) =>
      fail(
        'crashed',
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `extraction ran out of memory (${memoryMb} MB heap limit)`
          : `extraction worker crashed: ${errorMessage(error)}`,
      );
    const onExit = (code: number) => fail('crashed', `extraction worker exited with code ${code} before answering`);
    const timer = setTimeout(
      () => fail('timeout', `extraction took longer than ${timeoutMs} ms and was stopped`),
      timeoutMs + (pooled.started ? 0 : STARTUP_GRACE_MS),
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const job: IsolatedJob = { input, opts };
    worker.postMessage(job);
  });
}
