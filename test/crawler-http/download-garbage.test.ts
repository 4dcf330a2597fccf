import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { collectingEveryMiB } from '../../crawler/http/download-garbage.js';

const MiB = 1024 * 1024;

/** Young-generation collections seen while `work` runs. */
async function minorCollectionsDuring(work: () => void): Promise<number> {
  let seen = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) seen++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  work();
  // gc entries are delivered on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return seen;
}

test('a long download collects the young generation once per MiB received, a short one not at all', async () => {
  const chunk = 64 * 1024;
  const long = await minorCollectionsDuring(() => {
    const collect = collectingEveryMiB();
    for (let received = 0; received < 8 * MiB; received += chunk) collect(chunk);
  });
  expect(long).toBeGreaterThanOrEqual(8);
  const short = await minorCollectionsDuring(() => {
    const collect = collectingEveryMiB();
    for (let received = 0; received < MiB - chunk; received += chunk) collect(chunk);
  });
  expect(short).toBeLessThan(long);
});
