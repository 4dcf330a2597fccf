/**
 * Where a crawl's time goes: every archive call (and the blob store's put) timed during a full crawl of the
 * simulator with the rate limit off, printed as calls, total and mean per method.
 *   npx tsx bench/crawler/profile.ts   (BENCH_REQUESTS, default 200; DATABASE_URL / S3_* for the server setting;
 *   BENCH_CRAWL_WORKERS, default the crawler's: with more than one, calls overlap and each one's time includes waiting)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCrawl } from '../../crawler/index.js';
import { configFromEnv, openArchive } from '../../storage/index.js';
import { startRemoteSimulator } from './remote-simulator.js';

const timings = new Map<string, { calls: number; ms: number }>();

/**
 * Replaces async methods of `target` with timed ones: those named in `only`, or else every own function but those in
 * `skip` (an archive's methods are own properties and all async, apart from its streamed reads).
 */
function timeMethods(target: object, prefix: string, { only, skip = [] }: { only?: string[]; skip?: string[] }): void {
  const methods = target as Record<string, unknown>;
  for (const name of only ?? Object.keys(target)) {
    const method = methods[name];
    if (typeof method !== 'function' || skip.includes(name)) continue;
    methods[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      } finally {
        const entry = timings.get(prefix + name) ?? { calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += performance.now() - started;
        timings.set(prefix + name, entry);
      }
    };
  }
}

const sim = await startRemoteSimulator({ seed: 1, requests: Number(process.env['BENCH_REQUESTS'] ?? 200) });
const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-profile-'));
const archive = await openArchive(configFromEnv(process.env, { archiveDir: dir }));
try {
  timeMethods(archive, '', { skip: ['close', 'exportRows'] });
  timeMethods(archive.frontier, 'frontier.', {});
  timeMethods(archive.runs, 'runs.', {});
  // The store's write alone: the file, its hash and its fsync, without the rows.
  timeMethods(archive.blobs, 'blobs.', { only: ['put'] });
  const started = performance.now();
  const workers = process.env['BENCH_CRAWL_WORKERS'];
  const summary = await runCrawl(archive, { site: sim.url, scope: { all: true }, ratePerSecond: 0, extract: false, ...(workers ? { workers: Number(workers) } : {}) });
  const wallMs = performance.now() - started;
  console.log(`crawl ${summary.outcome}: ${(await sim.log()).length} requests in ${(wallMs / 1000).toFixed(1)} s (${archive.config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'})`);
  console.log('method'.padEnd(28), 'calls'.padStart(6), 'total s'.padStart(9), 'ms/call'.padStart(9));
  for (const [name, { calls, ms }] of [...timings].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(name.padEnd(28), String(calls).padStart(6), (ms / 1000).toFixed(2).padStart(9), (ms / calls).toFixed(1).padStart(9));
  }
} finally {
  await archive.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
