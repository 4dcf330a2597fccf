import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeScope } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openChildArchive, startCli, type ChildArchive } from './helpers.js';

describe('crawl, schedule and runs on the command line', () => {
  let sim: Simulator;
  let target: ChildArchive;
  const archives: ChildArchive[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ requests: 12, seed: 4, maskingMs: 100 });
    target = await openChildArchive();
  });
  afterAll(async () => {
    await target?.cleanup();
    for (const archive of archives) await archive.cleanup();
    await sim?.close();
  });

  it('refuses to crawl a public site without a contact, in one line, before any request', async () => {
    const result = await startCli([...target.args, '--site', 'https://www.whatdotheyknow.com', 'crawl', '--recent'], { ...target.env, WDTK_CONTACT: '' }).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^wdtk-archive: refusing to crawl: a contact email or URL is required to crawl www\.whatdotheyknow\.com: .*WDTK_CONTACT\n$/);
  });

  it('rejects an empty scope and half a backfill as bad usage', async () => {
    const empty = await startCli([...target.args, '--site', sim.url, 'crawl'], target.env).done;
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/nothing to crawl/);
    const half = await startCli([...target.args, '--site', sim.url, 'crawl', '--backfill', '--from', '2026-01-01'], target.env).done;
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--backfill needs both --from and --to/);
    const none = await startCli([...target.args, '--site', sim.url, 'crawl', '--recent', '--recheck', '0'], target.env).done;
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--recheck/);
    // A request URL of another site: its slug would be asked of this one.
    const elsewhere = await startCli([...target.args, '--site', sim.url, 'crawl', '--request', 'https://www.whatdotheyknow.com/request/some_request'], target.env).done;
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toBe(`wdtk-archive: --request https://www.whatdotheyknow.com/request/some_request is on another site than ${sim.url} (--site)\n`);
    expect(sim.log.some((entry) => entry.path.startsWith('/request/some_request'))).toBe(false);
  });

  it('schedule refuses, as bad usage and before any run, a cron expression that never fires and a time zone that does not exist', async () => {
    const schedule = (...args: string[]) => startCli([...target.args, '--site', sim.url, 'schedule', '--request', '1', ...args], target.env).done;
    const never = await schedule('--cron', '0 0 31 2 *');
    expect({ code: never.code, stderr: never.stderr }).toEqual({ code: 2, stderr: 'wdtk-archive: --cron "0 0 31 2 *" never fires: no date matches it\n' });
    const past = await schedule('--cron', '0 0 0 1 1 * 2020');
    expect({ code: past.code, stderr: past.stderr }).toEqual({ code: 2, stderr: 'wdtk-archive: --cron "0 0 0 1 1 * 2020" never fires: no date matches it\n' });
    const zone = await schedule('--cron', '15 2 * * *', '--timezone', 'Mars/Olympus');
    expect({ code: zone.code, stderr: zone.stderr }).toEqual({ code: 2, stderr: 'wdtk-archive: --timezone "Mars/Olympus" is not a time zone: give an IANA name such as Europe/London\n' });
    const garbled = await schedule('--cron', 'every night');
    expect(garbled.code).toBe(2);
    expect(garbled.stderr).toMatch(/^wdtk-archive: invalid cron expression "every night": /);
  });

  it('schedule ends cleanly, exit 0, after the last run an expression with a year in it has', { timeout: 60_000 }, async () => {
    const own = await openChildArchive();
    archives.push(own);
    const at = new Date(Date.now() + 8000);
    const once = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} * ${at.getUTCFullYear()}`;
    const slug = sim.groundTruth().requests[0]!.urlTitle;
    const result = await startCli([...own.args, '--site', sim.url, 'schedule', '--cron', once, '--timezone', 'UTC', '--request', slug, '--rate', '100', '--no-extract'], own.env).done;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    expect((result.stderr.match(/scheduled run ended/g) ?? []).length).toBe(1);
    expect(result.stderr).toMatch(/the cron expression fires no more: schedule ended/);
    const runs = JSON.parse((await startCli([...own.args, '--json', 'runs'], own.env).done).stdout) as { outcome: string }[];
    expect(runs.map((run) => run.outcome)).toEqual(['ok']);
  });

  it('runs names each run\'s scope, its --recheck included', async () => {
    const own = await openChildArchive();
    archives.push(own);
    await own.inspect(async (archive) => {
      for (const scope of [{ recheck: 3 }, { recent: true, recheck: 5 }, { bodies: ['dwp'], recheck: 0 }]) {
        await archive.runs.finish(await archive.runs.start(normalizeScope(scope)), 'ok', {});
      }
    });
    const listed = await startCli([...own.args, 'runs'], own.env).done;
    expect(listed.code, listed.stderr).toBe(0);
    const scopes = [...listed.stdout.matchAll(/^#\d+ ok +\S+ -> \S+ {2}(.*)$/gm)].map((line) => line[1]);
    expect(scopes).toEqual(['bodies dwp', 'recent recheck 5', 'recheck 3']);
  });

  it('runs shows a run whose process ended without finishing it as interrupted, not as running', async () => {
    const own = await openChildArchive();
    archives.push(own);
    // Started and never ended, as a crawl killed with SIGKILL leaves its run; no process holds the run lock.
    await own.inspect(async (archive) => void (await archive.runs.start(normalizeScope({ recent: true }))));
    const listed = await startCli([...own.args, 'runs'], own.env).done;
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^#1 interrupted +\S+ -> not ended {2}recent\n.*\n {4}the process ended without finishing the run\n$/);
    const json = await startCli([...own.args, '--json', 'runs'], own.env).done;
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: 1, outcome: 'interrupted', endedAt: null, error: 'the process ended without finishing the run' }]);
  });

  it('a run that spends its --max-requests exits 0, says it will resume, and the next crawl finishes it', async () => {
    const own = await openChildArchive();
    archives.push(own);
    const crawl = ['--site', sim.url, 'crawl', '--body', sim.groundTruth().requests[0]!.authority.urlName, '--rate', '100', '--no-extract'];
    const budgeted = await startCli([...own.args, ...crawl, '--max-requests', '3'], own.env).done;
    expect(budgeted.stderr).not.toMatch(/^wdtk-archive:/m);
    expect(budgeted.code).toBe(0);
    expect(budgeted.stdout).toMatch(/^run \d+: interrupted in /);
    expect(budgeted.stdout).toMatch(/stopped: +request budget of 3 used up; not fetching .*; the next crawl with the same scope resumes it/);

    const rest = await startCli([...own.args, ...crawl], own.env).done;
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/^run \d+ \(resumed\): ok in /);
    const runs = JSON.parse((await startCli([...own.args, '--json', 'runs'], own.env).done).stdout) as { outcome: string }[];
    expect(runs.map((run) => run.outcome)).toEqual(['ok']);
  });

  it('a run that reaches its --max-time exits 0 and says it will resume; a length of time it cannot read is bad usage', async () => {
    const own = await openChildArchive();
    archives.push(own);
    // The whole site at 4 requests a second: some 40 requests, far more than a second's worth.
    const crawl = ['--site', sim.url, 'crawl', '--all', '--rate', '4', '--no-extract'];
    const limited = await startCli([...own.args, ...crawl, '--max-time', '1s'], own.env).done;
    expect(limited.stderr).not.toMatch(/^wdtk-archive:/m);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toMatch(/^run \d+: interrupted in /);
    expect(limited.stdout).toMatch(/stopped: +time limit of 1 s reached; the next crawl with the same scope resumes it/);
    for (const value of ['90', '8d', '0s', '169h']) {
      const refused = await startCli([...own.args, ...crawl, '--max-time', value], own.env).done;
      expect(refused.code, value).toBe(2);
      expect(refused.stderr).toBe(`wdtk-archive: --max-time takes a length of time such as 45s, 90m or 4h, from 1s to 168h, not "${value}"\n`);
    }
  });

  it('schedule starts runs on its cron ticks, skips a tick while one is going, and stops on SIGTERM', { timeout: 120_000 }, async () => {
    const slug = sim.groundTruth().requests[0]!.urlTitle;
    // Each run's JSON answer takes 1.5 s, so every run spans the next one-second tick whatever the machine's speed.
    sim.setFaults({ rate: 1, kinds: ['slow'], routes: /\.json$/, slowMs: 1500 });
    const schedule = startCli([...target.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], target.env);
    let stderr = '';
    schedule.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while ((stderr.match(/scheduled run ended/g) ?? []).length < 2 && Date.now() < deadline) await sleep(100);
    schedule.child.kill('SIGTERM');
    const result = await schedule.done;
    sim.setFaults(undefined);
    expect(result.code).toBe(0);
    expect((result.stderr.match(/scheduled run ended/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/previous one is still going: skipping this tick/);

    const runs = await startCli([...target.args, '--json', 'runs'], target.env).done;
    expect(runs.code).toBe(0);
    const listed = JSON.parse(runs.stdout) as { id: number; outcome: string; scope: { requests: string[] }; counters: { json: number }; startedAt: string; endedAt: string | null }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed.filter((run) => run.outcome === 'ok').length).toBeGreaterThanOrEqual(2);
    expect(listed.every((run) => run.scope.requests[0] === slug)).toBe(true);
    // SIGTERM may stop a third run inside its slow JSON fetch; every run that ended ok fetched it.
    expect(listed.filter((run) => run.outcome === 'ok').every((run) => run.counters.json >= 1)).toBe(true);

    // The skipped tick shows in the archive too: each run ended before the next one started, none left running.
    const spans = listed
      .map((run) => ({ id: run.id, from: Date.parse(run.startedAt), to: run.endedAt === null ? Number.NaN : Date.parse(run.endedAt) }))
      .sort((a, b) => a.from - b.from);
    expect(spans.filter((span) => !(span.to >= span.from))).toEqual([]);
    const overlapping = spans.slice(1).flatMap((span, i) => {
      const previous = spans[i]!;
      return span.from < previous.to ? [`run ${previous.id} until ${new Date(previous.to).toISOString()}, run ${span.id} from ${new Date(span.from).toISOString()}`] : [];
    });
    expect(overlapping).toEqual([]);
    // And at the site: never a second connection open while a request came in.
    expect(sim.log.length).toBeGreaterThanOrEqual(listed.length);
    expect(Math.max(...sim.log.map((entry) => entry.concurrent))).toBe(1);
  });

  it('schedule ends at a challenge with a non-zero exit, and once restarted starts no run until a crawl by hand gets through', { timeout: 120_000 }, async () => {
    // An archive of its own: its runs are only this test's.
    const own = await openChildArchive();
    archives.push(own);
    const slug = sim.groundTruth().requests[0]!.urlTitle;
    sim.setFaults({ challenge: true, routes: /\.json$/ });
    sim.clearLog();
    const started = Date.now();
    // A tick every second: without the halt, the schedule would go on meeting the challenge until killed.
    const schedule = startCli([...own.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], own.env);
    const killer = setTimeout(() => schedule.child.kill('SIGTERM'), 30_000);
    const result = await schedule.done;
    clearTimeout(killer);
    sim.setFaults(undefined);

    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.stderr).toMatch(/^wdtk-archive: schedule stopped: the site answered .*\.json with a bot challenge .*start it again once the site has agreed/m);
    expect((result.stderr.match(/scheduled run starting/g) ?? []).length).toBe(1);
    // One run, and the challenged JSON is the last thing the site saw.
    expect(sim.log.filter((entry) => entry.path.endsWith('.json'))).toHaveLength(1);
    expect(sim.log.at(-1)!.path).toBe(`/request/${slug}.json`);

    const runs = await startCli([...own.args, '--json', 'runs'], own.env).done;
    const listed = JSON.parse(runs.stdout) as { outcome: string }[];
    expect(listed.map((run) => run.outcome)).toEqual(['stopped']);

    // Started again (a container's restart policy, say), the schedule refuses at its first tick without a request.
    sim.clearLog();
    const restarted = await startCli([...own.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], own.env).done;
    expect(restarted.code).toBe(1);
    expect(restarted.stderr).toMatch(/^wdtk-archive: schedule stopped: run \d+ was stopped by the site .*run the crawl once by hand/m);
    expect(sim.log).toEqual([]);

    // A crawl by hand that the site answers clears it: the schedule starts runs again.
    expect((await startCli([...own.args, '--site', sim.url, 'crawl', '--request', slug, '--rate', '100', '--no-extract'], own.env).done).code).toBe(0);
    const resumed = startCli([...own.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], own.env);
    let stderr = '';
    resumed.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('scheduled run ended') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    resumed.child.kill('SIGTERM');
    expect((await resumed.done).code).toBe(0);
    expect(stderr).toMatch(/scheduled run ended/);
  });
});
