import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { rowsOf } from '../../storage/db/connect.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

let current: TestArchive | null = null;
afterEach(async () => {
  await current?.cleanup();
  current = null;
});

async function runWithItems(): Promise<{ archive: Archive; runId: number }> {
  current = await openTestArchive();
  const archive = current.archive;
  const runId = await archive.runs.start({});
  await archive.frontier.add(runId, [
    { kind: 'listing', key: 'listing:1', url: 'https://example.org/list', priority: 45 },
    { kind: 'request', key: 'request:a', url: 'https://example.org/request/a.json', priority: 30 },
    { kind: 'request', key: 'sweep:known-requests', url: 'https://example.org', priority: 0 },
  ]);
  return { archive, runId };
}

describe('frontier claims', () => {
  test('leave rows under the minimum priority where they are', async () => {
    const { archive, runId } = await runWithItems();
    expect((await archive.frontier.claim(runId, 10, { minPriority: 1 })).map((row) => row.key)).toEqual(['listing:1', 'request:a']);
    expect(await archive.frontier.claim(runId, 10, { minPriority: 1 })).toEqual([]);
    expect((await archive.frontier.claim(runId, 10)).map((row) => row.key)).toEqual(['sweep:known-requests']);
  });

  test('hand out rows one at a time in priority order, then insertion order, skipping rows not yet due', async () => {
    current = await openTestArchive();
    const archive = current.archive;
    const runId = await archive.runs.start({});
    const later = new Date(Date.now() + 3_600_000);
    const items = Array.from({ length: 60 }, (_, i) => ({
      kind: 'request' as const,
      key: `request:${i}`,
      url: `https://example.org/request/${i}.json`,
      priority: [30, 45, 10][i % 3]!,
      ...(i % 7 === 0 ? { notBefore: later } : {}),
    }));
    await archive.frontier.add(runId, items);
    const claimed: string[] = [];
    for (let row = (await archive.frontier.claim(runId, 1))[0]; row; row = (await archive.frontier.claim(runId, 1))[0]) {
      claimed.push(row.key);
      await archive.frontier.done([row.id]);
    }
    const due = items.filter((item) => !item.notBefore);
    const expected = [45, 30, 10].flatMap((priority) => due.filter((item) => item.priority === priority).map((item) => item.key));
    expect(claimed).toEqual(expected);
    expect(await archive.frontier.pending(runId)).toBe(items.length - due.length);
  });

  test('hand out a row whose lease ran out, unless the caller says it still has it', async () => {
    const { archive, runId } = await runWithItems();
    const [listing] = await archive.frontier.claim(runId, 1);
    expect(listing?.key).toBe('listing:1');
    await archive.db.execute(sql`update frontier set claimed_at = now() - interval '1 hour' where id = ${listing!.id}`);

    const [next] = await archive.frontier.claim(runId, 1, { inHand: [listing!.id] });
    expect(next?.key).toBe('request:a');
    const [again] = await archive.frontier.claim(runId, 1);
    expect(again).toMatchObject({ key: 'listing:1', attempts: 2 });
  });

  test("mark the caller's finished rows done in the claim that hands out its next row", async () => {
    const { archive, runId } = await runWithItems();
    const statusOf = async (id: number) => (await rowsOf<{ status: string }>(archive.db, sql`select status from frontier where id = ${id}`))[0]?.status;
    const [listing] = await archive.frontier.claim(runId, 1);
    // Its lease ran out too: a finished row is never handed out again, however old its claim.
    await archive.db.execute(sql`update frontier set claimed_at = now() - interval '1 hour' where id = ${listing!.id}`);

    const [request] = await archive.frontier.claim(runId, 1, { finished: [listing!.id], minPriority: 1 });
    expect(request?.key).toBe('request:a');
    expect(await statusOf(listing!.id)).toBe('done');
    expect(await archive.frontier.pending(runId)).toBe(2);

    expect(await archive.frontier.claim(runId, 1, { finished: [request!.id], minPriority: 1 })).toEqual([]);
    expect(await statusOf(request!.id)).toBe('done');
    expect(await archive.frontier.pending(runId)).toBe(1);
  });
});
