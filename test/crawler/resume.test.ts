import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CRAWL_WORKERS } from '../../crawler/index.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { differencesFromTruth, integrityProblems, isAttachmentPath, openChildArchive, startCli, type ChildArchive } from './helpers.js';

const downloads = (sim: Simulator) => sim.log.filter((entry) => isAttachmentPath(entry.path) && entry.status === 200);

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('a run killed with SIGKILL', () => {
  let sim: Simulator;
  let target: ChildArchive;
  afterAll(async () => {
    await target?.cleanup();
    await sim?.close();
  });

  it('is continued by the next crawl: same archive, nothing stored twice, nothing downloaded twice', { timeout: 480_000 }, async () => {
    sim = await startSimulator({ requests: 40, seed: 13, maskingMs: 200 });
    target = await openChildArchive();
    const args = [...target.args, '--site', sim.url, 'crawl', '--all', '--ids', '--rate', '100', '--no-extract'];

    const first = startCli(args, target.env);
    // A fresh embedded archive migrates before the first request: over a minute on a loaded machine.
    await until(() => sim.log.length > 0, 180_000);
    const second = await startCli(args, target.env).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^wdtk-archive: .*(in use|already running).*only one run at a time/m);
    // Nor a purge: the crawl's next put may find stored an object the purge deletes, and name it in a row.
    const purge = await startCli([...target.args, 'purge', 'any-request'], target.env).done;
    expect(purge.code).toBe(1);
    // Embedded, no second process opens the archive at all; on a server, the crawl holds the originals for writing.
    const refusal = target.env['DATABASE_URL'] ? /storing originals in this archive: purging any-request must wait/ : /in use by process/;
    expect(purge.stderr).toMatch(new RegExp(`^wdtk-archive: .*${refusal.source}`, 'm'));

    await until(() => downloads(sim).length >= 12, 120_000);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const beforeKill = downloads(sim).map((entry) => entry.path);
    const logAtKill = sim.log.length;
    // Its directory for downloads on their way to the store, which it had no chance to remove.
    const leftBehind = (await readdir(tmpdir())).filter((name) => name.startsWith(`wdtk-crawl-${first.child.pid}-`));
    expect(leftBehind).toHaveLength(1);
    expect(beforeKill.length).toBeLessThan(sim.groundTruth().requests.flatMap((r) => r.events.flatMap((e) => e.attachments)).length);

    const resumed = await startCli(args, target.env).done;
    expect(resumed.code).toBe(0);
    // Off a terminal the log is JSON lines on stderr: none of them an error.
    expect(resumed.stderr.split('\n').filter((line) => line && JSON.parse(line).level >= 50)).toEqual([]);
    expect(resumed.stdout).toMatch(/^run 1 \(resumed\): ok in /m);
    expect((await readdir(tmpdir())).filter((name) => leftBehind.includes(name))).toEqual([]);

    await target.inspect(async (archive) => {
      expect(await differencesFromTruth(archive, sim.groundTruth())).toEqual([]);
      const runs = await archive.runs.list();
      expect(runs.map((run) => [run.id, run.outcome])).toEqual([[1, 'ok']]);
      // One capture row per answer the site logged, per URL: the resumed run stored nothing a second time. Only an answer
      // a worker had in hand at the kill (one per worker) may be missing, and then it was asked for again.
      const killed = { atLogLength: logAtKill, unstoredMax: DEFAULT_CRAWL_WORKERS };
      expect(await integrityProblems(archive, { log: sim.log, site: sim.url, runIds: [1], killed })).toEqual([]);
    });

    // Only downloads in flight at the kill (answered, not yet stored) may have been asked for again: one per worker at
    // most, each worker storing a download before it asks for its next request.
    const counts = new Map<string, number>();
    for (const entry of downloads(sim)) counts.set(entry.path, (counts.get(entry.path) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([path]) => path);
    expect(twice.length).toBeLessThanOrEqual(DEFAULT_CRAWL_WORKERS);
    expect(twice.filter((path) => !beforeKill.includes(path))).toEqual([]);
    expect([...counts.values()].filter((n) => n > 2)).toEqual([]);
  });
});
