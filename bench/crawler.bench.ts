/**
 * The crawler against the simulator (issue 5): requests per archived thread against the minimum, the
 * same site by `wget --mirror`, no-change and one-day reruns, pipeline wall time against a bare fetch
 * loop and against a loop that keeps each answer with no index, the CPU time each of them costs, and peak RSS of the
 * CLI archiving one very large attachment.
 *
 * Run: npm run bench -- crawler   (or: node --import tsx bench/crawler.bench.ts)
 * Sizes: BENCH_REQUESTS (default 10000), BENCH_LARGE_MB (default 1024), BENCH_SEED (default 1),
 * BENCH_WGET_TIMEOUT_S (default 1800), BENCH_RSS_EXTRACT (default false,true), BENCH_RSS_ENTRIES (default compiled,tsx:
 * the CLI built by scripts/build.mjs, as the Docker image and bin/wdtk-archive.js after `npm ci` run it, and the sources
 * through tsx, as bin/wdtk-archive.js runs them after an edit),
 * BENCH_LATENCIES_MS (default 0,2,5,10,20) and BENCH_LATENCY_REQUESTS (default 1000) for the latency part,
 * BENCH_NIGHTLY_REQUESTS (default 1000) and BENCH_NIGHTLY_RECHECK (default 1000: --recheck of its third night) for the
 * nightly part.
 * Parts: BENCH_PARTS=requests,nightly,latency,extract,wget,rss (default all). BENCH_CRAWL_WORKERS: frontier rows in hand at once (default: the
 * crawler's own default).
 * The archive is the default embedded one (PGlite + files) in a temp directory, unless DATABASE_URL / S3_* are set.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CRAWL_WORKERS, runCrawl, type CrawlSummary, type ScopeInput } from '../crawler/index.js';
import type { RequestLogEntry } from '../fixtures/site/index.js';
import { parseListingPage, parseRequestJson, parseRequestPage } from '../parsers/index.js';
import { configFromEnv, openArchive, type Archive } from '../storage/index.js';
import { compiledBuild } from './compiled-build.js';
import { describeCpu, readCpu } from './crawler/cpu.js';
import { gnuTimeMaxRssMb, runMeasuringRss } from './crawler/peak-rss.js';
import { createDatabaseBeside } from './server-database.js';
import { startRemoteSimulator, type RemoteSimulator } from './crawler/remote-simulator.js';
import { categoryOf, minimumCrawl, tally, type LogTally } from './crawler/requests.js';

const env = process.env;
const SITE_REQUESTS = Number(env['BENCH_REQUESTS'] ?? 10_000);
const LARGE_BYTES = Number(env['BENCH_LARGE_MB'] ?? 1024) * 1024 * 1024;
const SEED = Number(env['BENCH_SEED'] ?? 1);
const WGET_TIMEOUT_MS = Number(env['BENCH_WGET_TIMEOUT_S'] ?? 1800) * 1000;
const PARTS = new Set((env['BENCH_PARTS'] ?? 'requests,nightly,latency,extract,wget,rss').split(','));
const LATENCIES_MS = (env['BENCH_LATENCIES_MS'] ?? '0,2,5,10,20').split(',').map(Number);
const LATENCY_SITE_REQUESTS = Number(env['BENCH_LATENCY_REQUESTS'] ?? 1000);
const NIGHTLY_SITE_REQUESTS = Number(env['BENCH_NIGHTLY_REQUESTS'] ?? 1000);
const NIGHTLY_RECHECK = Number(env['BENCH_NIGHTLY_RECHECK'] ?? 1000);
const WORKERS = env['BENCH_CRAWL_WORKERS'] === undefined ? {} : { workers: Number(env['BENCH_CRAWL_WORKERS']) };
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const isAttachmentPath = (path: string) => categoryOf(path) === 'attachment';
const out = (line = '') => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

function describeTally(t: LogTally): string {
  const parts = Object.entries(t.byCategory).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const statuses = Object.entries(t.nonOk).map(([status, n]) => `${status}×${n}`);
  return `${t.total} requests (${parts.join(', ')})${statuses.length ? `; non-200: ${statuses.join(' ')}` : ''}`;
}

async function withTempArchive<T>(label: string, use: (archive: Archive, dir: string) => Promise<T>, runEnv: NodeJS.ProcessEnv = {}): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), `wdtk-bench-${label}-`));
  const archive = await openArchive(configFromEnv({ ...env, ...runEnv }, { archiveDir: dir }));
  try {
    return await use(archive, dir);
  } finally {
    await archive.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One crawl, its wall time, and what it cost in CPU (as describeCpu puts it). */
async function timedCrawl(
  archive: Archive,
  sim: RemoteSimulator,
  extract: boolean,
  scope: ScopeInput = { all: true },
): Promise<{ summary: CrawlSummary; wallMs: number; cpu: string }> {
  const cpuAtStart = await readCpu(sim, archive.config.databaseUrl);
  const started = performance.now();
  const summary = await runCrawl(archive, { site: sim.url, scope, ratePerSecond: 0, extract, ...WORKERS });
  const wallMs = performance.now() - started;
  const cpu = describeCpu('the crawl', cpuAtStart, await readCpu(sim, archive.config.databaseUrl));
  if (summary.outcome !== 'ok') throw new Error(`crawl ended ${summary.outcome}: ${summary.error ?? ''}`);
  return { summary, wallMs, cpu };
}

/** One GET as the reference loops make it: no redirect followed, nothing but a user agent sent. */
const plainGet = (url: string) => fetch(url, { redirect: 'manual', headers: { 'user-agent': 'bare-loop' } });

/** The same GETs the crawl made, in order, one at a time, bodies read and dropped. */
async function bareFetchLoop(base: string, log: readonly RequestLogEntry[]): Promise<{ wallMs: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  for (const entry of log) {
    const response = await plainGet(`${base}${entry.path}`);
    bytes += (await response.arrayBuffer()).byteLength;
  }
  return { wallMs: performance.now() - started, bytes };
}

/**
 * The bare loop plus what any archiver of these answers does with each one, and no more: hash the body, write it to
 * a file of its own and flush it (a 200's body, once per content), parse thread JSON, thread pages and listings. The
 * writes overlap the next fetches (up to 8 at once). No index, no bookkeeping: how far the bare loop is from what an
 * archive has to do whatever its design.
 */
async function keepingFetchLoop(base: string, log: readonly RequestLogEntry[]): Promise<{ wallMs: number; files: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-keeping-'));
  const written = new Set<string>();
  const writing = new Set<Promise<void>>();
  const writeFlushed = async (name: string, body: Buffer) => {
    const file = await open(path.join(dir, name), 'w');
    try {
      await file.writeFile(body);
      await file.datasync();
    } finally {
      await file.close();
    }
  };
  try {
    const started = performance.now();
    for (const entry of log) {
      const url = `${base}${entry.path}`;
      const response = await plainGet(url);
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) continue;
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (!written.has(sha256)) {
        written.add(sha256);
        const write = writeFlushed(sha256, body).finally(() => writing.delete(write));
        writing.add(write);
        if (writing.size >= 8) await Promise.race(writing);
      }
      const kind = categoryOf(entry.path);
      if (kind === 'json') parseRequestJson(body.toString('utf8'));
      else if (kind === 'page') parseRequestPage(body.toString('utf8'), { url });
      else if (kind === 'listing') parseListingPage(body.toString('utf8'), { url });
    }
    await Promise.all(writing);
    return { wallMs: performance.now() - started, files: written.size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function requestsAndReruns(): Promise<void> {
  out(`### requests per thread, reruns, wall time without extraction (${SITE_REQUESTS}-request site, seed ${SEED})`);
  const sim = await startRemoteSimulator({ seed: SEED, requests: SITE_REQUESTS });
  try {
    await withTempArchive('requests', async (archive) => {
      const first = await timedCrawl(archive, sim, false);
      const firstLog = await sim.log();
      const minimum = minimumCrawl(await sim.groundTruth(), sim.url);
      const ours = tally(firstLog);
      const threads = first.summary.counters.newRequests;
      out(`first crawl: ${describeTally(ours)}; ${secs(first.wallMs)}; load ${load()}`);
      out(`archived threads ${threads} (listed in ground truth ${minimum.threads}); attachments ${first.summary.counters.attachments} (public ${minimum.attachments}); masking re-queues ${first.summary.counters.maskingRequeued}; bytes received ${mb(first.summary.counters.bytes)}`);
      if (minimum.disallowedAuthorities.length) {
        out(`robots.txt forbids the listings of ${minimum.disallowedAuthorities.join(', ')}: ${minimum.threadsBehindDisallowed} listed threads no --all crawl can find, left out of the minimum`);
      }
      out(`minimum: ${minimum.requests} = robots 1 + csv 1 + listing pages ${minimum.listingPages} (${minimum.authorities} authorities) + 2 × ${minimum.threads} threads + ${minimum.attachments} attachments`);
      out(`requests per thread: ${(ours.total / threads).toFixed(3)} vs minimum ${(minimum.requests / minimum.threads).toFixed(3)}: ${(ours.total / minimum.requests).toFixed(3)}x the minimum (goal ≤ 1.05x)`);
      // The site answers the first fetch of an attachment it is still masking with a redirect: one request no client can save.
      const masked = new Set(firstLog.filter((e) => e.status === 302 && isAttachmentPath(e.path)).map((e) => e.path)).size;
      out(`with the ${masked} first fetches of masked attachments the site forces: minimum ${minimum.requests + masked}, ours ${(ours.total / (minimum.requests + masked)).toFixed(3)}x`);

      const cpuBeforeBare = await readCpu(sim, archive.config.databaseUrl);
      const bare = await bareFetchLoop(sim.url, firstLog);
      const cpuOfBare = describeCpu('the bare loop', cpuBeforeBare, await readCpu(sim, archive.config.databaseUrl));
      out(`bare fetch loop over the same ${firstLog.length} URLs: ${secs(bare.wallMs)}, ${mb(bare.bytes)}; crawl + store without extraction ${secs(first.wallMs)} = ${(first.wallMs / bare.wallMs).toFixed(2)}x (goal ≤ 1.5x); load ${load()}`);
      out(first.cpu);
      out(cpuOfBare);
      const keeping = await keepingFetchLoop(sim.url, firstLog);
      out(`the same loop keeping each answer (hashed, ${keeping.files} files written and flushed, up to 8 at once; JSON, pages and listings parsed), no index: ${secs(keeping.wallMs)} = ${(keeping.wallMs / bare.wallMs).toFixed(2)}x the bare loop; the crawl = ${(first.wallMs / keeping.wallMs).toFixed(2)}x it`);

      await sim.clearLog();
      const unchanged = await timedCrawl(archive, sim, false);
      out(`no-change rerun: ${describeTally(tally(await sim.log()))}; pages fetched ${unchanged.summary.counters.pages}; ${secs(unchanged.wallMs)}`);

      const changes = await sim.advance(1);
      await sim.clearLog();
      const nextDay = await timedCrawl(archive, sim, false);
      const c = nextDay.summary.counters;
      out(`one simulated day: ${changes.newRequests.length} new requests, ${changes.newResponses.length} new responses, ${changes.statusChanges.length} status changes, ${changes.hidden.length} hidden, ${changes.renamed.length} renamed, ${changes.hiddenAttachments.length} attachments hidden`);
      out(`one-day rerun: ${describeTally(tally(await sim.log()))}; new ${c.newRequests}, changed ${c.changedRequests}, unchanged ${c.unchangedRequests}, removed ${c.removedRequests}, renamed ${c.renamedRequests}; ${secs(nextDay.wallMs)}`);
    });
  } finally {
    await sim.close();
  }
}

/**
 * What the nightly job (`crawl --recent`, as docker-compose's archiver runs it) asks of the site, against the same
 * nights done with `--all`: on an archive a first `--all` built, a night with no change, then one simulated day.
 */
async function nightlyRuns(): Promise<void> {
  out(`### nightly runs: --recent against --all (${NIGHTLY_SITE_REQUESTS}-request site, seed ${SEED})`);
  const sim = await startRemoteSimulator({ seed: SEED, requests: NIGHTLY_SITE_REQUESTS });
  const { runEnv, dispose } = await ownDatabase('nightly');
  try {
    await withTempArchive('nightly', async (archive) => {
      const first = await timedCrawl(archive, sim, false);
      out(`first crawl (--all): ${first.summary.counters.newRequests} threads, ${secs(first.wallMs)}`);
      const nights = [
        ['no change', 0, {}],
        ['one simulated day', 1, {}],
        [`one simulated day, --recheck ${NIGHTLY_RECHECK}`, 1, { recheck: NIGHTLY_RECHECK }],
      ] as const;
      for (const [night, days, extra] of nights) {
        const changes = days ? await sim.advance(days) : null;
        if (changes) {
          const touched = new Set([...changes.newRequests, ...changes.newResponses.map((r) => r.requestId), ...changes.statusChanges, ...changes.hidden, ...changes.renamed.map((r) => r.requestId)]);
          out(`${night}: ${changes.newRequests.length} new requests, ${changes.newResponses.length} new responses, ${changes.statusChanges.length} status changes, ${changes.hidden.length} hidden, ${changes.renamed.length} renamed (${touched.size} threads touched)`);
        }
        await sim.clearLog();
        const recent = await timedCrawl(archive, sim, false, { recent: true, ...extra });
        const c = recent.summary.counters;
        out(`${night}, --recent: ${describeTally(tally(await sim.log()))}; new ${c.newRequests}, changed ${c.changedRequests}, unchanged ${c.unchangedRequests}, removed ${c.removedRequests}, renamed ${c.renamedRequests}; ${secs(recent.wallMs)}`);
        await sim.clearLog();
        const all = await timedCrawl(archive, sim, false);
        const a = all.summary.counters;
        out(`${night}, then --all: ${describeTally(tally(await sim.log()))}; new ${a.newRequests}, changed ${a.changedRequests}, removed ${a.removedRequests}, renamed ${a.renamedRequests} (what --recent left for it); ${secs(all.wallMs)}`);
      }
    }, runEnv);
  } finally {
    await dispose();
    await sim.close();
  }
}

/**
 * The wall-time comparison again, on sites that take a while to answer each request, as any site across a network
 * does (loopback answers at once): how much of the crawl's own work the wait for the site hides. Rate limit off, a
 * fresh simulator and archive for each latency; the bare loop then fetches the crawl's URLs from the same simulator.
 */
async function wallTimeWithLatency(): Promise<void> {
  out(`### wall time against the bare loop when the site takes time to answer (${LATENCY_SITE_REQUESTS}-request site, seed ${SEED})`);
  for (const latencyMs of LATENCIES_MS) {
    const sim = await startRemoteSimulator({ seed: SEED, requests: LATENCY_SITE_REQUESTS, latencyMs });
    const { runEnv, dispose } = await ownDatabase(`latency_${latencyMs}`);
    try {
      await withTempArchive(`latency-${latencyMs}`, async (archive) => {
        const crawl = await timedCrawl(archive, sim, false);
        const log = await sim.log();
        const bare = await bareFetchLoop(sim.url, log);
        out(`site answering after ${latencyMs} ms: crawl + store without extraction ${secs(crawl.wallMs)} (${log.length} requests), bare fetch loop ${secs(bare.wallMs)}: ${(crawl.wallMs / bare.wallMs).toFixed(2)}x (goal ≤ 1.5x); load ${load()}`);
        out(crawl.cpu);
      }, runEnv);
    } finally {
      await dispose();
      await sim.close();
    }
  }
}

async function crawlWithExtraction(): Promise<void> {
  out(`### wall time with extraction (${SITE_REQUESTS}-request site, seed ${SEED}, fresh simulator and archive)`);
  const sim = await startRemoteSimulator({ seed: SEED, requests: SITE_REQUESTS });
  try {
    await withTempArchive('extract', async (archive) => {
      const run = await timedCrawl(archive, sim, true);
      const extraction = run.summary.extraction;
      out(`crawl + store + extraction: ${secs(run.wallMs)}; ${describeTally(tally(await sim.log()))}; extraction ${JSON.stringify(extraction)}; load ${load()}`);
      const bare = await bareFetchLoop(sim.url, await sim.log());
      out(`bare fetch loop over the same URLs: ${secs(bare.wallMs)}; ratio ${(run.wallMs / bare.wallMs).toFixed(2)}x (goal ≤ 1.5x)`);
    });
  } finally {
    await sim.close();
  }
}

function runWget(base: string, dir: string): Promise<{ code: number | null; timedOut: boolean; wallMs: number; stderrTail: string }> {
  const started = performance.now();
  const child = spawn('wget', ['--mirror', '--no-parent', '-e', 'robots=on', '-nv', '-P', dir, `${base}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, WGET_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, wallMs: performance.now() - started, stderrTail: tail });
    });
  });
}

async function duBytes(dir: string): Promise<number> {
  const child = spawn('du', ['-sb', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return Number(text.split(/\s/)[0]);
}

async function wgetMirror(): Promise<void> {
  out(`### wget --mirror of the same site (${SITE_REQUESTS}-request site, seed ${SEED}, fresh simulator)`);
  const sim = await startRemoteSimulator({ seed: SEED, requests: SITE_REQUESTS });
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-wget-'));
  try {
    const run = await runWget(sim.url, dir);
    const stored = await duBytes(dir);
    const log = await sim.log();
    const t = tally(log);
    const threadPages = new Set(log.filter((e) => e.status === 200 && /^\/request\/[^/.?]+$/.test(e.path)).map((e) => e.path)).size;
    const attachments = new Set(log.filter((e) => e.status === 200 && /\/attach\/\d+\//.test(e.path)).map((e) => e.path.split('?')[0])).size;
    const minimum = minimumCrawl(await sim.groundTruth(), sim.url);
    out(`wget: ${describeTally(t)}; ${run.timedOut ? `STOPPED after ${secs(run.wallMs)} (timeout)` : `exit ${run.code} after ${secs(run.wallMs)}`}; stored ${mb(stored)}; load ${load()}`);
    out(`wget got ${threadPages} of ${minimum.threads} listed thread pages and ${attachments} of ${minimum.attachments} attachments (${(t.total / Math.max(1, threadPages)).toFixed(2)} requests per thread page)`);
    const summaryLine = /Downloaded: .*$/m.exec(run.stderrTail)?.[0];
    if (summaryLine) out(`wget says: ${summaryLine}`);
    for (const line of new Set(run.stderrTail.split('\n').filter((l) => /cannot|error|failed/i.test(l) && !/ERROR 404/.test(l)))) out(`wget: ${line}`);
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface CliPeak {
  gnuTimeMb: number | undefined;
  polled: string;
  wallMs: number;
  /** documents the run extracted (the CLI's --json summary), so a peak with extraction on says whether any ran */
  extracted: number;
}

/** Node's arguments for the CLI to measure: the TypeScript through tsx, or a fresh build of it (built once per bench). */
function cliEntry(kind: string): string[] {
  if (kind === 'tsx') return ['--import', 'tsx', 'cli/main.ts'];
  if (kind !== 'compiled') throw new Error(`BENCH_RSS_ENTRIES: unknown entry ${kind} (compiled or tsx)`);
  return [path.join(compiledBuild(), 'cli', 'main.js')];
}

async function cliCrawlPeak(entry: string[], site: string, archiveDir: string, slug: string, extract: boolean, runEnv: NodeJS.ProcessEnv): Promise<CliPeak> {
  const cliArgs = [...entry, 'crawl', '--site', site, '--archive', archiveDir, '--rate', '1000', '--request', slug, '--json'];
  if (!extract) cliArgs.push('--no-extract');
  const measured = await runMeasuringRss('/usr/bin/time', ['-v', process.execPath, ...cliArgs], { cwd: repoRoot, env: runEnv });
  if (measured.code !== 0) throw new Error(`CLI exited ${measured.code}: ${measured.stderr.slice(-2000)}`);
  const polled = Object.entries(measured.peakByCommand).filter(([name]) => name !== 'time').map(([name, peak]) => `${name} ${peak.toFixed(0)} MiB`).join(', ');
  const summary = JSON.parse(measured.stdout) as { extraction: { completed: number; failed: number } | null };
  const extracted = (summary.extraction?.completed ?? 0) + (summary.extraction?.failed ?? 0);
  return { gnuTimeMb: gnuTimeMaxRssMb(measured.stderr), polled, wallMs: measured.wallMs, extracted };
}

const describePeak = (p: CliPeak) =>
  `peak RSS ${p.gnuTimeMb?.toFixed(0) ?? '?'} MiB (GNU time; /proc VmHWM: ${p.polled}), ${secs(p.wallMs)}, ${p.extracted} documents extracted`;

/**
 * On the server setting, a fresh database beside DATABASE_URL's for one archive of the latency or RSS part, so that each
 * latency, entry and extraction setting starts from an empty archive as it does embedded (sharing one, the later
 * settings found every thread already stored and its documents already extracted). Embedded: nothing to do.
 */
async function ownDatabase(name: string): Promise<{ runEnv: NodeJS.ProcessEnv; dispose: () => Promise<void> }> {
  const serverUrl = env['DATABASE_URL'];
  if (!serverUrl) return { runEnv: {}, dispose: async () => {} };
  const { databaseUrl, drop } = await createDatabaseBeside(serverUrl, `wdtk_bench_rss_${name}_${process.pid}`);
  return { runEnv: { DATABASE_URL: databaseUrl }, dispose: drop };
}

/**
 * Three CLI runs on one archive: a small thread on the fresh archive (migrations included), another small
 * thread (the baseline of a run on a migrated archive), then the thread with the large attachment.
 */
async function largeAttachmentRss(): Promise<void> {
  out(`### peak RSS of \`wdtk-archive crawl\` archiving one ${mb(LARGE_BYTES)} attachment`);
  const sim = await startRemoteSimulator({ seed: SEED, requests: 20, largeAttachmentBytes: LARGE_BYTES });
  const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-rss-'));
  try {
    const hashing = performance.now();
    const truth = await sim.groundTruth();
    out(`(the simulator hashed it for the ground truth in ${secs(performance.now() - hashing)})`);
    const withAttachments = truth.requests.filter((r) => r.prominence === 'normal' && r.events.some((e) => e.attachments.some((a) => !a.hidden)));
    const large = withAttachments.find((r) => r.events.some((e) => e.attachments.some((a) => a.size === LARGE_BYTES)));
    const [first, second] = withAttachments.filter((r) => r !== large);
    if (!large || !first || !second) throw new Error('the simulator did not add the large attachment');
    const largeSha = large.events.flatMap((e) => e.attachments).find((a) => a.size === LARGE_BYTES)!.sha256;
    for (const [entryKind, extract] of (env['BENCH_RSS_ENTRIES'] ?? 'compiled,tsx').split(',').flatMap((kind) =>
      (env['BENCH_RSS_EXTRACT'] ?? 'false,true').split(',').map((v) => [kind, v === 'true'] as const),
    )) {
      const entry = cliEntry(entryKind);
      const archiveDir = path.join(dir, `${entryKind}-${extract ? 'extract' : 'no-extract'}`);
      const label = `${entryKind}, ${extract ? 'with extraction' : '--no-extract'}`;
      const { runEnv, dispose } = await ownDatabase(`${entryKind}_${extract ? 'extract' : 'no_extract'}`);
      let peak: CliPeak;
      let stored: string | null | undefined;
      try {
        out(`${label}, small thread on a fresh archive: ${describePeak(await cliCrawlPeak(entry, sim.url, archiveDir, first.urlTitle, extract, runEnv))}`);
        out(`${label}, another small thread (baseline): ${describePeak(await cliCrawlPeak(entry, sim.url, archiveDir, second.urlTitle, extract, runEnv))}`);
        peak = await cliCrawlPeak(entry, sim.url, archiveDir, large.urlTitle, extract, runEnv);
        const archive = await openArchive(configFromEnv({ ...env, ...runEnv }, { archiveDir }));
        try {
          stored = (await archive.getRequest(large.urlTitle))?.attachments.find((a) => a.size === LARGE_BYTES)?.sha256;
        } finally {
          await archive.close();
        }
      } finally {
        await dispose();
      }
      out(`${label}, the thread with the large attachment: ${describePeak(peak)}; stored sha256 ${stored === largeSha ? 'matches' : `DIFFERS (${stored ?? 'missing'})`} (goal < 200 MB)`);
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

out(`machine: ${availableParallelism()} cores, load ${load()}, node ${process.version}; crawl workers ${WORKERS.workers ?? `${DEFAULT_CRAWL_WORKERS} (default)`}`);
if (PARTS.has('requests')) await requestsAndReruns();
if (PARTS.has('nightly')) await nightlyRuns();
if (PARTS.has('latency')) await wallTimeWithLatency();
if (PARTS.has('extract')) await crawlWithExtraction();
if (PARTS.has('wget')) await wgetMirror();
if (PARTS.has('rss')) await largeAttachmentRss();
out(`done; load ${load()}`);
