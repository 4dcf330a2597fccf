import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';
import { SITE, storeDoc, thread } from '../storage/fixtures.js';

/** Two threads a day apart: one with a PDF, made mid-morning on 1 March 2023, and one the site has since removed. */
async function fill(archive: Archive): Promise<void> {
  const siteId = await archive.ensureSite(SITE);
  const pdf = await storeDoc(archive, 'bin collection contract');
  const bins = thread();
  bins.events[1]!.attachments.push({ remoteId: 10, part: 2, filename: 'contract.pdf', hidden: false, content: { sha256: pdf.sha256, size: pdf.size, fetchedAt: new Date() } });
  await archive.reconcileRequest(siteId, bins, {});
  await archive.reconcileRequest(siteId, thread({
    remoteId: 102, urlTitle: 'parking_fines', title: 'Parking fines issued', remoteCreatedAt: new Date('2023-03-02T15:00:00Z'), events: [],
  }), {});
  await archive.markRemoved(siteId, 102, 'hidden by the site', {});
}

describe('search and export filters on the command line', () => {
  let target: ChildArchive;
  const cli = async (...args: string[]) => startCli([...target.args, '--site', SITE, ...args], target.env).done;
  const remoteIds = (stdout: string) => (JSON.parse(stdout) as { hits: { remoteId: number }[] }).hits.map((hit) => hit.remoteId);

  beforeAll(async () => {
    target = await openChildArchive();
    await target.inspect(fill);
  });
  afterAll(() => target?.cleanup());

  it('--to counts the whole of its day, so --from D --to D finds the requests made on D, in search and export', async () => {
    const oneDay = await cli('--json', 'search', '--from', '2023-03-01', '--to', '2023-03-01');
    expect(oneDay.code, oneDay.stderr).toBe(0);
    expect(remoteIds(oneDay.stdout)).toEqual([101]);
    const dayBefore = await cli('--json', 'search', '--to', '2023-02-28');
    expect(remoteIds(dayBefore.stdout)).toEqual([]);
    const exported = await cli('export', '--format', 'jsonl', '--from', '2023-03-01', '--to', '2023-03-01');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { remoteId: number }).remoteId)).toEqual([101]);
  });

  const refused = async (args: string[], message: string) => {
    const result = await cli(...args);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: `wdtk-archive: ${message}\n` });
  };

  it('refuses a date that is not on the calendar, rather than run with the day it would roll over to', async () => {
    await refused(['search', '--from', '2025-02-30'], '--from: "2025-02-30" is not a real date');
    await refused(['export', '--format', 'jsonl', '--to', '2026-02-29'], '--to: "2026-02-29" is not a real date');
    await refused(['crawl', '--backfill', '--from', '2025-04-31', '--to', '2025-05-01'], '--from: "2025-04-31" is not a real date');
    await refused(['search', '--to', '2025-13-01'], '--to: "2025-13-01" is not a real date');
  });
});
