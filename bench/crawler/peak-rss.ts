// Peak resident memory of a child process and its descendants, read from /proc while they run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function withDescendants(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]!));
  return all;
}

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Largest VmHWM seen per command name (`node`, `time`...), in MiB. */
  peakByCommand: Record<string, number>;
}

/** Runs the command, polling VmHWM of it and every descendant every `pollMs`. */
export function runMeasuringRss(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; pollMs?: number }): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const peakByCommand: Record<string, number> = {};
  const poll = () => {
    if (child.pid === undefined) return;
    for (const pid of withDescendants(child.pid)) {
      const hwmKb = readStatusKb(pid, 'VmHWM');
      if (hwmKb === undefined) continue;
      let name = String(pid);
      try {
        name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      peakByCommand[name] = Math.max(peakByCommand[name] ?? 0, hwmKb / 1024);
    }
  };
  const timer = setInterval(poll, options.pollMs ?? 50);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started, peakByCommand });
    });
  });
}

/** `Maximum resident set size (kbytes): N` from GNU time -v, in MiB. */
export function gnuTimeMaxRssMb(stderr: string): number | undefined {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return match ? Number(match[1]) / 1024 : undefined;
}
