import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';
import { SITE, storeDoc, thread } from '../storage/fixtures.js';

/**
 * Two threads a day apart: one with a PDF, made mid-morning on 1 March 2023, and one the site has since removed; and a
 * third the site keeps off its listings (backpage).
 */
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
  await archive.reconcileRequest(siteId, { ...thread({
    remoteId: 103, urlTitle: 'parking_permits_mill_lane', title: 'Parking permits for Mill Lane', remoteCreatedAt: new Date('2023-03-03T10:00:00Z'), events: [],
  }), prominence: 'backpage' }, {});
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

  it('takes --status, --type, --body and --requester in any case, as the site lower-cases them', async () => {
    for (const filter of [['--status', 'Successful'], ['--type', 'PDF'], ['--body', 'Leeds_City_Council'], ['--requester', 'ALICE_SMITH']]) {
      const found = await cli('--json', 'search', ...filter);
      expect({ filter, code: found.code, stderr: found.stderr, hits: remoteIds(found.stdout) }).toEqual({ filter, code: 0, stderr: '', hits: [101] });
    }
  });

  it('refuses a status the site does not have, with the list, in search and export alike; export refuses a bad --sort as search does', async () => {
    const statuses = 'waiting_classification, waiting_response, waiting_response_overdue, waiting_response_very_overdue, not_held, rejected, ' +
      'partially_successful, successful, waiting_clarification, gone_postal, internal_review, error_message, requires_admin, ' +
      'attention_requested, user_withdrawn, vexatious, not_foi';
    await refused(['search', '--status', 'sucessful'], `--status takes one of ${statuses}, not "sucessful"`);
    await refused(['export', '--format', 'csv', '--status', 'Sucessful'], `--status takes one of ${statuses}, not "sucessful"`);
    await refused(['export', '--format', 'jsonl', '--sort', 'bogus'], '--sort takes relevance or date, not "bogus"');
    await refused(['search', '--sort', 'bogus'], '--sort takes relevance or date, not "bogus"');
    // A status of the site's that no request in the archive has: a true "no hits".
    const none = await cli('search', '--status', 'vexatious');
    expect({ code: none.code, stdout: none.stdout, stderr: none.stderr }).toEqual({ code: 0, stdout: 'no hits\n', stderr: '' });
  });

  it('says on stderr when --body, --requester or --type names nothing in the archive, rather than a bare "no hits"', async () => {
    const body = await cli('search', '--body', 'dwp');
    expect({ code: body.code, stdout: body.stdout, stderr: body.stderr }).toEqual({
      code: 0, stdout: 'no hits\n', stderr: 'wdtk-archive: note: --body dwp: no authority with that url_name in the archive\n',
    });
    const exported = await cli('export', '--format', 'jsonl', '--requester', 'alice_smyth', '--type', 'xlsx');
    expect({ code: exported.code, stdout: exported.stdout, stderr: exported.stderr }).toEqual({
      code: 0, stdout: '',
      stderr: 'wdtk-archive: note: --requester alice_smyth: no user with that url_name in the archive\n' +
        'wdtk-archive: note: --type xlsx: no document of that type in the archive\n',
    });
  });

  it('--include-removed marks each removed hit, with when and why, in text and in JSON', async () => {
    const text = await cli('search', 'parking', '--include-removed');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^1\. Parking fines issued  \[parking_fines\]\n.*\n   REMOVED from the site \d{4}-\d\d-\d\d: hidden by the site\n/m);
    const json = await cli('--json', 'search', '--include-removed', '--sort', 'date');
    const hits = (JSON.parse(json.stdout) as { hits: { remoteId: number; removedAt?: string; removalReason?: string | null }[] }).hits;
    expect(hits.map((hit) => [hit.remoteId, hit.removalReason ?? null])).toEqual([[102, 'hidden by the site'], [101, null]]);
    expect(hits[0]!.removedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await cli('search', 'bin')).stdout).not.toContain('REMOVED');
  });

  it('--include-unlisted adds, and marks, the requests the site keeps off its listings, in search and export', async () => {
    expect(remoteIds((await cli('--json', 'search', 'parking')).stdout)).toEqual([]);
    const text = await cli('search', 'parking', '--include-unlisted');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^1\. Parking permits for Mill Lane  \[parking_permits_mill_lane\]\n.*\n   UNLISTED: the site serves it by its link but keeps it off its listings and search\n/m);
    const json = await cli('--json', 'search', 'parking', '--include-unlisted', '--include-removed', '--sort', 'date');
    const hits = (JSON.parse(json.stdout) as { hits: { remoteId: number; unlisted?: boolean }[] }).hits;
    expect(hits.map((hit) => [hit.remoteId, hit.unlisted ?? false])).toEqual([[103, true], [102, false]]);
    const exported = async (...flags: string[]) =>
      (await cli('export', '--format', 'jsonl', ...flags)).stdout.trim().split('\n').map((line) => (JSON.parse(line) as { remoteId: number }).remoteId);
    expect(new Set(await exported())).toEqual(new Set([101]));
    expect(new Set(await exported('--include-unlisted'))).toEqual(new Set([101, 103]));
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

  it('refuses a number option in any form but plain decimal digits, or past its bound, and says what it takes', async () => {
    const whole = (flag: string, min: number, max: number, value: string) => `${flag} takes a whole number from ${min} to ${max} in plain digits, not "${value}"`;
    await refused(['search', '--offset', '1e20'], whole('--offset', 0, 1_000_000_000, '1e20'));
    await refused(['search', '--limit', '0x3'], whole('--limit', 1, 1000, '0x3'));
    await refused(['search', '--limit', '1e2'], whole('--limit', 1, 1000, '1e2'));
    await refused(['search', '--limit', '1001'], whole('--limit', 1, 1000, '1001'));
    await refused(['crawl', '--recheck', '1e2'], whole('--recheck', 1, 1_000_000_000, '1e2'));
    await refused(['crawl', '--max-requests', '0x10'], whole('--max-requests', 1, 1_000_000_000, '0x10'));
    await refused(['schedule', '--cron', '15 2 * * *', '--max-requests', ' 7'], whole('--max-requests', 1, 1_000_000_000, ' 7'));
    await refused(['runs', '--limit', '2.0'], whole('--limit', 1, 1_000_000, '2.0'));
    await refused(['work', '--poll', '1e1'], whole('--poll', 1, 86_400, '1e1'));
    await refused(['work', '--concurrency', '65'], whole('--concurrency', 1, 64, '65'));
    await refused(['serve', '--port', '65536'], whole('--port', 0, 65_535, '65536'));
    await refused(['simulate', '--port', '8e3'], whole('--port', 0, 65_535, '8e3'));
    await refused(['simulate', '--requests', '1e2'], whole('--requests', 1, 100_000, '1e2'));
    await refused(['simulate', '--seed', '4294967296'], whole('--seed', 0, 4_294_967_295, '4294967296'));
    await refused(['simulate', '--latency', '-5'], whole('--latency', 0, 60_000, '-5'));
    const rate = (value: string) => `--rate takes a number above 0 and up to 1000 in plain digits, such as 0.5, not "${value}"`;
    await refused(['crawl', '--rate', '1e2'], rate('1e2'));
    await refused(['crawl', '--rate', '0x10'], rate('0x10'));
    await refused(['crawl', '--rate', '0'], rate('0'));
    await refused(['crawl', '--rate', '1001'], rate('1001'));
    // Taken, so the crawl goes on to check its scope: there is none.
    await refused(['crawl', '--rate', '0.5', '--max-requests', '007'], 'nothing to crawl: give --request, --body, --user, --recent, --backfill, --all, --ids or --recheck');
  });

  it('refuses a --site (or WDTK_SITE) with a path, query or fragment: an Alaveteli site lives at the root of its host', async () => {
    const root = (value: string) => `--site takes the root address of an Alaveteli site, such as https://www.whatdotheyknow.com, with no path, query or fragment, not "${value}"`;
    const crawl = async (site: string | null, env: NodeJS.ProcessEnv = {}) =>
      startCli([...target.args, ...(site === null ? [] : ['--site', site]), 'crawl', '--request', '1'], { ...target.env, ...env }).done;
    for (const site of ['http://127.0.0.1:9/foo', 'http://127.0.0.1:9/foo/', 'https://127.0.0.1:9/?locale=cy', 'http://127.0.0.1:9/#top']) {
      const result = await crawl(site);
      expect({ code: result.code, stderr: result.stderr }, site).toEqual({ code: 2, stderr: `wdtk-archive: ${root(site)}\n` });
    }
    const fromEnv = await crawl(null, { WDTK_SITE: 'http://127.0.0.1:9/alaveteli' });
    expect({ code: fromEnv.code, stderr: fromEnv.stderr }).toEqual({ code: 2, stderr: `wdtk-archive: ${root('http://127.0.0.1:9/alaveteli')}\n` });
    // The root, with or without its slash, is taken: the crawl goes on to check its scope, which is empty.
    for (const site of ['http://127.0.0.1:9', 'http://127.0.0.1:9/']) {
      const result = await startCli([...target.args, '--site', site, 'crawl'], target.env).done;
      expect({ code: result.code, stderr: result.stderr }, site).toEqual({ code: 2, stderr: 'wdtk-archive: nothing to crawl: give --request, --body, --user, --recent, --backfill, --all, --ids or --recheck\n' });
    }
  });
});
