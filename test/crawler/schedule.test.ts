import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openChildArchive, startCli, type ChildArchive } from './helpers.js';

describe('schedule after a challenge', () => {
  let sim: Simulator;
  let target: ChildArchive;
  beforeAll(async () => {
    sim = await startSimulator({ requests: 12, seed: 4, maskingMs: 100 });
    target = await openChildArchive();
  });
  afterAll(async () => {
    await target?.cleanup();
    await sim?.close();
  });

  it('ends with the challenge and a non-zero exit, and after a restart starts no run until a crawl by hand gets through', { timeout: 120_000 }, async () => {
    const slug = sim.groundTruth().requests[0]!.urlTitle;
    sim.setFaults({ challenge: true, routes: /\.json$/ });
    sim.clearLog();
    const started = Date.now();
    // A tick every second: without the halt, the schedule would go on meeting the challenge until killed.
    const schedule = startCli([...target.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], target.env);
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

    const runs = await startCli([...target.args, '--json', 'runs'], target.env).done;
    const listed = JSON.parse(runs.stdout) as { outcome: string }[];
    expect(listed.map((run) => run.outcome)).toEqual(['stopped']);

    // Started again (a container's restart policy, say), the schedule refuses at its first tick without a request.
    sim.clearLog();
    const restarted = await startCli([...target.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], target.env).done;
    expect(restarted.code).toBe(1);
    expect(restarted.stderr).toMatch(/^wdtk-archive: schedule stopped: run \d+ was stopped by the site .*run the crawl once by hand/m);
    expect(sim.log).toEqual([]);

    // A crawl by hand that the site answers clears it: the schedule starts runs again.
    expect((await startCli([...target.args, '--site', sim.url, 'crawl', '--request', slug, '--rate', '100', '--no-extract'], target.env).done).code).toBe(0);
    const resumed = startCli([...target.args, '--site', sim.url, 'schedule', '--cron', '* * * * * *', '--request', slug, '--rate', '100', '--no-extract'], target.env);
    let stderr = '';
    resumed.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('scheduled run ended') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    resumed.child.kill('SIGTERM');
    expect((await resumed.done).code).toBe(0);
    expect(stderr).toMatch(/scheduled run ended/);
  });
});
