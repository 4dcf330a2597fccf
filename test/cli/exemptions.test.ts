import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';
import { threadOf } from '../helpers/copies.js';

const HACKNEY = { urlName: 'hackney_council', name: 'Hackney Council' };
const CONTRACTS = { remoteId: 7301, urlTitle: 'cleaning_contracts', title: 'Cleaning contracts', authority: HACKNEY, day: '2024-03-04' };
const ROUNDS = { remoteId: 7302, urlTitle: 'bin_rounds', title: 'Bin rounds', authority: HACKNEY, day: '2024-03-05' };

let target: ChildArchive;

beforeAll(async () => {
  target = await openChildArchive();
  await target.inspect(async (archive) => {
    const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
    const blob = await archive.putBlob(Buffer.from('the response letter'), { contentType: 'application/pdf' });
    const contracts = threadOf(CONTRACTS, [{ remoteId: 2, part: 2, filename: 'response.pdf', contentType: 'application/pdf', hidden: false,
      content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-03-05T10:00:00Z') } }]);
    contracts.events[0]!.text = 'Prices are withheld under section 43(2) of the Freedom of Information Act 2000.';
    await archive.reconcileRequest(siteId, contracts, {});
    await archive.reconcileRequest(siteId, threadOf(ROUNDS, []), {});
    const [job] = await archive.jobs.claim('test-worker', 1);
    await archive.jobs.complete(job!.id, { type: 'pdf', pageCount: 2, needsOcr: false, warnings: [], metadata: {},
      pages: [{ number: 1, text: 'Dear Sam,' }, { number: 2, text: 'Names are withheld under s.40(2).' }] });
  });
});
afterAll(async () => {
  await target?.cleanup();
});

const cli = (args: string[]) => startCli([...target.args, ...args], target.env).done;

describe('exemptions', () => {
  it('tallies the requests citing each exemption, for the archive or an authority', async () => {
    const all = await cli(['exemptions']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')).toEqual([
      '1 of 2 requests cite at least one exemption',
      '',
      'exemption      requests  heading',
      'FOIA s40              1  Personal information',
      'FOIA s43              1  Commercial interests',
      '',
    ]);
    const elsewhere = await cli(['exemptions', '--body', 'camden_council', '--json']);
    expect(elsewhere.stderr).toContain('--body camden_council: no authority with that url_name in the archive');
    expect(JSON.parse(elsewhere.stdout)).toEqual({ requests: 0, citing: 0, exemptions: [] });
  });

  it('lists every code it reads without opening an archive', async () => {
    const codes = await startCli(['exemptions', '--codes', '--archive', '/nonexistent/archive']).done;
    expect(codes.code, codes.stderr).toBe(0);
    expect(codes.stdout).toContain('FOISA s38      Personal information\n');
    expect(codes.stdout).toContain('EIR 12(5)(e)   Confidentiality of commercial or industrial information\n');
  });
});

describe('search, export and show', () => {
  it('search and export filter by a code in any case, and refuse one they do not know', async () => {
    const found = await cli(['search', '--exemption', 'foia S40', '--json']);
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as { hits: { urlTitle: string }[] }).hits.map((h) => h.urlTitle)).toEqual([CONTRACTS.urlTitle]);
    const exported = await cli(['export', '--exemption', 'FOIA s43', '--format', 'jsonl']);
    expect(exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { urlTitle: string; exemptions: string[] })).toEqual([
      expect.objectContaining({ urlTitle: CONTRACTS.urlTitle, exemptions: ['FOIA s40', 'FOIA s43'] }),
    ]);
    const refused = await cli(['search', '--exemption', 'section 40']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--exemption takes a code such as "FOIA s40"');
  });

  it('show says what the thread cites, and where', async () => {
    const shown = await cli(['show', CONTRACTS.urlTitle]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('  exemptions cited: FOIA s40 (Personal information), FOIA s43 (Commercial interests)\n');
    expect(shown.stdout).toContain('    cites FOIA s43\n');
    expect(shown.stdout).toContain('      cites FOIA s40 (p. 2)\n');
  });
});
