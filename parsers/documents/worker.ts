import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { errorMessage } from './context.js';
import { extract } from './extract.js';
import type { IsolatedJob, WorkerReply } from './isolate.js';
import { ExtractError } from './types.js';

async function run({ input, opts }: IsolatedJob): Promise<WorkerReply> {
  try {
    const bytes = typeof input === 'string' ? await readFile(input) : input;
    return { ok: true, result: await extract(bytes, opts) };
  } catch (error) {
    if (error instanceof ExtractError) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'unreadable', message: errorMessage(error) };
  }
}

parentPort!.on('message', (job: IsolatedJob) => {
  void run(job).then((reply) => parentPort!.postMessage(reply));
});
