import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { RemoteSimulator } from './remote-simulator.js';

/** CPU seconds used so far, by whom, and when it was read. */
export interface CpuReading {
  atMs: number;
  /** this process, every thread of it: the crawl's main thread, the embedded database's, the blob writers' */
  own: number;
  simulator: number;
  /** every postgres process on this machine; null unless the archive's server is on this machine and /proc shows it */
  postgres: number | null;
}

export async function readCpu(sim: RemoteSimulator, databaseUrl: string | undefined): Promise<CpuReading> {
  const { user, system } = process.cpuUsage();
  return { atMs: performance.now(), own: (user + system) / 1e6, simulator: await sim.cpuSeconds(), postgres: await localPostgresCpu(databaseUrl) };
}

/**
 * What one piece of work cost in CPU, and the shortest wall time that CPU allows on this machine's cores. Wall time
 * varies from one machine and one run to the next; CPU seconds vary much less, and say why a ratio cannot go lower.
 */
export function describeCpu(label: string, from: CpuReading, to: CpuReading): string {
  const wall = (to.atMs - from.atMs) / 1000;
  const own = to.own - from.own;
  const simulator = to.simulator - from.simulator;
  const postgres = from.postgres === null || to.postgres === null ? null : to.postgres - from.postgres;
  const total = own + simulator + (postgres ?? 0);
  const cores = availableParallelism();
  const parts = [`this process ${own.toFixed(1)} s`, `simulator ${simulator.toFixed(1)} s`, ...(postgres === null ? [] : [`postgres ${postgres.toFixed(1)} s`])];
  return `CPU of ${label}: ${parts.join(', ')}; ${total.toFixed(1)} s in ${wall.toFixed(1)} s of wall time (${(total / wall).toFixed(2)} cores busy of ${cores}; no faster than ${(total / cores).toFixed(1)} s on ${cores} cores)`;
}

/**
 * Sums the CPU of every process named postgres, when the server is on this machine and /proc is there: each one's own
 * and, for the postmaster, that of the backends it has reaped (a connection closed during the work still counts).
 */
async function localPostgresCpu(databaseUrl: string | undefined): Promise<number | null> {
  if (!databaseUrl || process.platform !== 'linux') return null;
  if (!['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(databaseUrl).hostname)) return null;
  // Linux reports utime and stime in clock ticks, 100 per second on every architecture Node runs on.
  const TICKS_PER_SECOND = 100;
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (!stat?.includes(' (postgres) ')) continue;
    // Fields after the command name: state is the first, then utime, stime, cutime and cstime are the 12th to 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
  }
  return ticks / TICKS_PER_SECOND;
}
