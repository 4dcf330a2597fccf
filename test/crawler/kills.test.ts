import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { rowsOf } from '../../storage/db/connect.js';
import { differencesFromTruth, integrityProblems, openChildArchive, startCli, type ChildArchive } from './helpers.js';

/** The same numbers every run: where each kill falls, counted in requests the site answers after the crawl starts. */
function seededInts(seed: number, min: number, max: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return min + (state % (max - min + 1));
  };
}

describe('crawls killed at arbitrary moments, on a flaky site, over two days', () => {
  let sim: Simulator;
  let target: ChildArchive;
  afterAll(async () => {
    await target?.cleanup();
    await sim?.close();
  });

  it('end with the ground truth, no document left unextracted, and nothing orphaned', { timeout: 600_000 }, async () => {
    sim = await startSimulator({
      requests: 50,
      seed: 31,
      maskingMs: 200,
      faults: { rate: 0.08, kinds: ['status500', 'status503', 'status429', 'reset', 'truncate', 'maintenance'], retryAfterSeconds: 1, seed: 32 },
    });
    target = await openChildArchive();
    const killAfter = seededInts(33, 5, 60);
    const seenPublic = { requests: new Set<number>(), attachments: new Set<number>() };
    const notePublic = () => {
      for (const request of sim.groundTruth().requests) {
        seenPublic.requests.add(request.id);
        for (const attachment of request.events.flatMap((event) => event.attachments)) if (!attachment.hidden) seenPublic.attachments.add(attachment.id);
      }
    };

    /** `kills` runs of the crawl killed with SIGKILL once the site has answered some more requests, then one left to finish. */
    const crawl = async (scope: string[], kills: number): Promise<void> => {
      const args = [...target.args, '--site', sim.url, 'crawl', ...scope, '--rate', '200'];
      for (let killed = 0; killed < kills; killed++) {
        const run = startCli(args, target.env);
        const killAt = sim.log.length + killAfter();
        const watch = setInterval(() => {
          if (sim.log.length >= killAt) run.child.kill('SIGKILL');
        }, 5);
        const result = await run.done.finally(() => clearInterval(watch));
        // A run may finish before its kill comes: the next one then has nothing left to do.
        if (result.signal !== 'SIGKILL') expect(result.code, result.stderr.slice(-2000)).toBe(0);
      }
      const last = await startCli(args, target.env).done;
      expect(last.code, last.stderr.slice(-2000)).toBe(0);
    };

    const expectWhole = () =>
      target.inspect(async (archive) => {
        expect(await differencesFromTruth(archive, sim.groundTruth(), { oncePublic: seenPublic.requests, oncePublicAttachments: seenPublic.attachments })).toEqual([]);
        // An original stored a moment before a kill can be left without its row: `verify` lists it, and nothing else.
        expect((await integrityProblems(archive)).filter((problem) => !/^stored object \w+ has no blob row$/.test(problem))).toEqual([]);
        // A kill in the middle of an extraction leaves its job claimed: the next process takes it up at once.
        const unfinished = await rowsOf<{ status: string }>(archive.db, sql`select status from jobs where status in ('pending', 'running')`);
        expect(unfinished).toEqual([]);
      });

    notePublic();
    await crawl(['--all', '--ids'], 3);
    await expectWhole();

    sim.advance(1);
    await crawl(['--recent', '--recheck', '20'], 1);
    await crawl(['--all', '--ids'], 1);
    await expectWhole();
  });
});
