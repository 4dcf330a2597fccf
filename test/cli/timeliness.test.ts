import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileInput } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';
import { threadOf } from '../helpers/copies.js';

const HACKNEY = { urlName: 'hackney_council', name: 'Hackney Council' };
const CAMDEN = { urlName: 'camden_council', name: 'Camden Council' };

let target: ChildArchive;

/** A thread whose JSON says it was sent at `sent` and answered at `answered`, if at all. */
function sentThread(remoteId: number, urlTitle: string, authority: typeof HACKNEY, sent: string, answered: string | null, more: object[] = []): ReconcileInput {
  const input = threadOf({ remoteId, urlTitle, title: urlTitle, authority, day: sent.slice(0, 10) }, []);
  input.raw = {
    id: remoteId,
    info_request_events: [
      { id: 1, event_type: 'sent', created_at: sent },
      ...(answered ? [{ id: 2, event_type: 'response', created_at: answered, calculated_state: 'successful' }] : []),
      ...more,
    ],
  };
  return input;
}

beforeAll(async () => {
  target = await openChildArchive();
  await target.inspect(async (archive) => {
    const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
    await archive.reconcileRequest(siteId, sentThread(1, 'fines_on_time', HACKNEY, '2024-03-20T10:00:00.000+00:00', '2024-04-19T09:00:00.000+01:00'), {});
    await archive.reconcileRequest(siteId, sentThread(2, 'fines_late', HACKNEY, '2024-03-20T10:00:00.000+00:00', '2024-04-22T09:00:00.000+01:00', [
      { id: 3, event_type: 'overdue', created_at: '2024-04-20T00:00:00.000+01:00' },
      { id: 4, event_type: 'followup_sent', created_at: '2024-04-23T09:00:00.000+01:00', display_status: 'Internal review request' },
    ]), {});
    await archive.reconcileRequest(siteId, sentThread(3, 'camden_never', CAMDEN, '2024-01-10T10:00:00.000+00:00', null), {});
  });
});
afterAll(async () => {
  await target?.cleanup();
});

const cli = (args: string[]) => startCli([...target.args, ...args], target.env).done;

describe('timeliness', () => {
  it('tallies the archive and lists each authority, most often late first if asked', async () => {
    const all = await cli(['timeliness', '--order', 'late']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')).toEqual([
      '3 requests with a known sending time',
      '  first reply within 20 working days     1 (33% of the 3 due)',
      '  first reply after the due date         1',
      '  no reply, past the due date            1',
      '  no reply yet, not yet due              0',
      '  median working days to the first reply 20',
      '  an answer within 20 working days       1 (50% of the 2 answered)',
      '  median working days to the answer      20',
      '  marked overdue by the site             1 (0 long overdue)',
      '  internal reviews requested             1',
      '',
      'authority       requests      on time   late overdue median',
      'camden_council         1       0 (0%)      0       1      —',
      'hackney_council        2      1 (50%)      1       0     20',
      '',
    ]);
    const busiest = JSON.parse((await cli(['timeliness', '--json', '--limit', '1'])).stdout) as { requests: number; total: number; authorities: { authority: { urlName: string } }[] };
    expect([busiest.requests, busiest.total, busiest.authorities.map((a) => a.authority.urlName)]).toEqual([3, 2, ['hackney_council']]);
  });

  it("gives one authority's, or those sent between dates, and refuses what it cannot read", async () => {
    const hackney = await cli(['timeliness', '--body', 'Hackney_Council', '--json']);
    expect(hackney.code, hackney.stderr).toBe(0);
    expect(JSON.parse(hackney.stdout)).toMatchObject({ requests: 2, onTime: 1, late: 1, internalReviews: 1 });
    const march = JSON.parse((await cli(['timeliness', '--from', '2024-03-01', '--to', '2024-03-31', '--json'])).stdout) as { requests: number };
    expect(march.requests).toBe(2);
    const nobody = await cli(['timeliness', '--body', 'islington_council']);
    expect(nobody.stderr).toContain('--body islington_council: no authority with that url_name in the archive');
    for (const bad of [['--order', 'slowest'], ['--min', '0'], ['--from', '2024-02-30']]) {
      const refused = await cli(['timeliness', ...bad]);
      expect(refused.code, bad.join(' ')).toBe(2);
    }
  });

  it('search and export find the requests answered late, or not at all, and refuse another word', async () => {
    const late = await cli(['search', '--timeliness', 'late', '--json']);
    expect(late.code, late.stderr).toBe(0);
    expect((JSON.parse(late.stdout) as { hits: { urlTitle: string }[] }).hits.map((hit) => hit.urlTitle)).toEqual(['fines_late']);
    const overdue = await cli(['export', '--timeliness', 'OVERDUE', '--format', 'jsonl']);
    expect(overdue.code, overdue.stderr).toBe(0);
    expect(overdue.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { urlTitle: string }).urlTitle)).toEqual(['camden_never']);
    const refused = await cli(['search', '--timeliness', 'slow']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('--timeliness takes on_time, late, overdue, waiting, not "slow"')]);
  });

  it('show prints a request against its due date', async () => {
    const shown = await cli(['show', 'fines_late']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('  sent 2024-03-20 · due by 2024-04-19 · first reply 2024-04-22 after 21 working days: LATE · the site marked it overdue · internal review requested\n');
  });
});
