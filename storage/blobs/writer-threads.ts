import { Worker } from 'node:worker_threads';

interface FilePutTask {
  tmpPath: string;
  finalPath: string;
  size: number;
  /** a body in memory, for the thread to write; without it the temporary file is written already */
  bytes?: Uint8Array;
}

interface Pending {
  resolve(created: boolean): void;
  reject(error: Error): void;
}

interface WriterThread {
  worker: Worker;
  pending: Map<number, Pending>;
  idleTimer?: NodeJS.Timeout;
}

type Reply = { id: number; outcome: { created: boolean } | { error: { message: string; code?: string } } };

const THREADS = 2;
const IDLE_MS = 30_000;

/**
 * Where the blocking part of every file put runs (file-writer.mjs says why). Two threads, so one body's fsync does not
 * hold up the next. A thread starts on demand, does not keep the process up while idle, and ends after 30 s idle.
 * Plain postMessage rather than a pool library: measured, piscina cost the main thread 0.22 ms per put against 0.08.
 */
export class WriterThreads {
  readonly #threads: WriterThread[] = [];
  #nextId = 0;

  run(task: FilePutTask): Promise<boolean> {
    const thread = this.#pick();
    const id = this.#nextId++;
    return new Promise<boolean>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      if (thread.pending.size === 1) {
        clearTimeout(thread.idleTimer);
        thread.worker.ref();
      }
      thread.worker.postMessage({ id, task });
    });
  }

  /** An idle thread, else a new one while there are fewer than THREADS, else the least busy. */
  #pick(): WriterThread {
    const idle = this.#threads.find((thread) => thread.pending.size === 0);
    if (idle) return idle;
    if (this.#threads.length < THREADS) return this.#start();
    return this.#threads.reduce((least, thread) => (thread.pending.size < least.pending.size ? thread : least));
  }

  #start(): WriterThread {
    const thread: WriterThread = { worker: new Worker(new URL('./file-writer.mjs', import.meta.url)), pending: new Map() };
    thread.worker.on('message', ({ id, outcome }: Reply) => {
      const pending = thread.pending.get(id)!;
      thread.pending.delete(id);
      if (thread.pending.size === 0) this.#rest(thread);
      if ('error' in outcome) pending.reject(Object.assign(new Error(outcome.error.message), { code: outcome.error.code }));
      else pending.resolve(outcome.created);
    });
    // Only a thread that could not start or ran out of memory gets here: its puts fail, the next put starts another.
    const fail = (error: Error) => {
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      clearTimeout(thread.idleTimer);
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => {
      if (this.#threads.includes(thread)) fail(new Error(`the blob writer thread exited (code ${code})`));
    });
    this.#threads.push(thread);
    return thread;
  }

  #rest(thread: WriterThread): void {
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => {
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      void thread.worker.terminate();
    }, IDLE_MS).unref();
  }
}
