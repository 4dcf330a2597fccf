import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { differencesFromTruth, integrityProblems, openChildArchive, startCli } from './helpers.js';

describe('a crawl through a flaky site', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('ends with the same archive as without faults, honouring every Retry-After', { timeout: 180_000 }, async () => {
    const retryAfterSeconds = 1;
    const sim: Simulator = await startSimulator({
      requests: 50,
      seed: 9,
      maskingMs: 200,
      faults: { rate: 0.1, kinds: ['status500', 'status503', 'status429', 'reset', 'truncate', 'maintenance'], retryAfterSeconds, seed: 4 },
    });
    const test: TestArchive = await openTestArchive();
    cleanups.push(() => sim.close(), () => test.cleanup());

    const summary = await runCrawl(test.archive, {
      site: sim.url,
      scope: { all: true, ids: true },
      ratePerSecond: 100,
      maskingRetryMs: 250,
      extract: false,
      fetcher: { backoff: { baseMs: 50, maxMs: 400 } },
    });
    expect(summary.outcome).toBe('ok');
    expect(await differencesFromTruth(test.archive, sim.groundTruth())).toEqual([]);
    expect(await integrityProblems(test.archive, { log: sim.log, site: sim.url, runIds: [summary.runId] })).toEqual([]);

    const faulted = sim.log.filter((entry) => entry.fault);
    expect(new Set(faulted.map((entry) => entry.fault))).toEqual(new Set(['status500', 'status503', 'status429', 'reset', 'truncate', 'maintenance']));
    // Each is retried by the fetcher: a maintenance page too, wherever it stands in for the answer asked for.
    expect(summary.counters.retries).toBeGreaterThanOrEqual(faulted.length);

    const askedToWait = sim.log.flatMap((entry, i) => (entry.fault === 'status429' || entry.fault === 'status503' ? [i] : []));
    expect(askedToWait.length).toBeGreaterThan(0);
    // Every such answer is followed by the retry of the same path, at least the Retry-After later, and by nothing sooner.
    for (const i of askedToWait) {
      const asked = sim.log[i]!;
      const retry = sim.log.slice(i + 1).find((entry) => entry.path === asked.path);
      if (!retry) throw new Error(`${asked.path} answered ${asked.status} with Retry-After (log entry ${i} of ${sim.log.length}) was never asked for again`);
      expect(retry.time - asked.time).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 1);
      expect(sim.log[i + 1]!.time - asked.time).toBeGreaterThanOrEqual(retryAfterSeconds * 1000 - 1);
    }
  });

  it('stops at a WAF challenge with its message and a non-zero exit', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ requests: 20, seed: 2 });
    const target = await openChildArchive();
    cleanups.push(() => sim.close(), () => target.cleanup());
    sim.setFaults({ challenge: true });

    const result = await startCli([...target.args, '--site', sim.url, 'crawl', '--recent', '--rate', '50', '--no-extract'], target.env).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wdtk-archive: the site answered .* with a bot challenge \(HTTP 403, cf-mitigated: challenge header\)/m);
    expect(result.stdout).toMatch(/: stopped in /);
    // It stopped at the first challenge: no second request.
    expect(sim.log.length).toBe(1);

    const [run] = await target.inspect((archive) => archive.runs.list(1));
    expect(run?.outcome).toBe('stopped');
    expect(run?.error).toMatch(/bot challenge/);
  });

  it('stops at a WAF challenge met mid-crawl: its message, a non-zero exit, and no request after it', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ requests: 20, seed: 2 });
    const target = await openChildArchive();
    cleanups.push(() => sim.close(), () => target.cleanup());
    // robots.txt and the listings answer; the first thread's JSON meets the challenge.
    sim.setFaults({ challenge: true, routes: /\.json$/ });

    const result = await startCli([...target.args, '--site', sim.url, 'crawl', '--recent', '--rate', '50', '--no-extract'], target.env).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wdtk-archive: the site answered .*\.json with a bot challenge \(HTTP 403, cf-mitigated: challenge header\)/m);
    expect(result.stdout).toMatch(/: stopped in /);

    const challenged = sim.log.flatMap((entry, i) => (entry.fault === 'challenge' ? [i] : []));
    expect(challenged).toHaveLength(1);
    expect(sim.log[challenged[0]!]!.path).toMatch(/^\/request\/[^/]+\.json$/);
    // Mid-crawl: robots.txt and at least one listing came first, all answered; the challenge is the last request.
    expect(sim.log.slice(0, challenged[0]).map((entry) => entry.path.split('?')[0])).toEqual(expect.arrayContaining(['/robots.txt', '/list']));
    expect(sim.log.slice(0, challenged[0]).filter((entry) => entry.status !== 200)).toEqual([]);
    expect(challenged[0]).toBe(sim.log.length - 1);

    const [run] = await target.inspect((archive) => archive.runs.list(1));
    expect(run?.outcome).toBe('stopped');
    expect(run?.error).toMatch(/bot challenge/);
  });

  it('tries a thread that failed halfway again later in the run, without downloading what it had stored', { timeout: 90_000 }, async () => {
    const sim = await startSimulator({ requests: 40, seed: 9, maskingMs: 0 });
    const test = await openTestArchive();
    cleanups.push(() => sim.close(), () => test.cleanup());
    const publicAttachments = (request: ReturnType<Simulator['groundTruth']>['requests'][number]) =>
      request.events.flatMap((event) => (event.hidden ? [] : event.attachments.filter((attachment) => !attachment.hidden)));
    const thread = sim.groundTruth().requests.find((request) => publicAttachments(request).length >= 2)!;
    const [first, second] = publicAttachments(thread).map((attachment) => new URL(attachment.url).pathname);
    // The thread's second attachment fails until the first attempt at the thread has given up.
    sim.setFaults({ rate: 1, kinds: ['status500'], routes: new RegExp(`^${second!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });

    let ended = false;
    const crawl = runCrawl(test.archive, {
      site: sim.url,
      scope: { requests: [thread.urlTitle] },
      ratePerSecond: 100,
      extract: false,
      fetcher: { maxAttempts: 1 },
    }).finally(() => (ended = true));
    while (!ended && !sim.log.some((entry) => entry.fault)) await sleep(10);
    sim.setFaults(undefined);
    const summary = await crawl;

    expect(sim.log.filter((entry) => entry.fault).map((entry) => entry.path.split('?')[0])).toEqual([second]);
    expect(summary.outcome).toBe('ok');
    expect(summary.counters.errors).toBe(1);
    const answered = (path: string) => sim.log.filter((entry) => entry.path.split('?')[0] === path && entry.status === 200).length;
    expect([answered(first!), answered(second!)]).toEqual([1, 1]);
    const stored = await test.archive.getRequest(thread.urlTitle);
    expect(stored?.attachments.map((attachment) => attachment.sha256)).toEqual(publicAttachments(thread).map((attachment) => attachment.sha256));
  });
});
