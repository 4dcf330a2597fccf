import { fork, type ChildProcess } from 'node:child_process';
import type { ChangeSummary, GroundTruth, RequestLogEntry, SimulatorOptions } from '../../fixtures/site/index.js';
import type { SimulatorCall } from './simulator-child.js';

/** The simulator's bench-facing calls, answered by a simulator in another process. */
export interface RemoteSimulator {
  url: string;
  log(): Promise<RequestLogEntry[]>;
  clearLog(): Promise<void>;
  groundTruth(): Promise<GroundTruth>;
  advance(days: number): Promise<ChangeSummary>;
  /** CPU seconds (user + system) the simulator's process has used so far */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: string };
type Call = { op: 'log' | 'clearLog' | 'groundTruth' | 'cpu' | 'close' } | { op: 'advance'; days: number };

/**
 * The simulator in a child process: a real site is another machine, so serving it must not take time from the crawl's
 * own thread, as it does when the simulator runs in the process being measured. The bare loops use it the same way.
 */
export async function startRemoteSimulator(options: Omit<SimulatorOptions, 'start'>): Promise<RemoteSimulator> {
  const child: ChildProcess = fork(new URL('./simulator-child.ts', import.meta.url), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  child.on('message', ({ id, result, error }: Reply) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (error) waiting?.reject(new Error(`simulator: ${error}`));
    else waiting?.resolve(result);
  });
  child.on('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the simulator process exited (code ${code})`));
    pending.clear();
  });
  const answer = (id: number) => new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
  const call = (message: Call) => {
    const id = nextId++;
    const answered = answer(id);
    child.send({ id, ...message } satisfies SimulatorCall);
    return answered;
  };
  const url = (await answer(0)) as string;
  return {
    url,
    log: () => call({ op: 'log' }) as Promise<RequestLogEntry[]>,
    clearLog: async () => {
      await call({ op: 'clearLog' });
    },
    groundTruth: () => call({ op: 'groundTruth' }) as Promise<GroundTruth>,
    advance: (days) => call({ op: 'advance', days }) as Promise<ChangeSummary>,
    cpuSeconds: () => call({ op: 'cpu' }) as Promise<number>,
    close: async () => {
      await call({ op: 'close' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
