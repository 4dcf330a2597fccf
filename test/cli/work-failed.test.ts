import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentInput } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';
import { threadOf } from '../helpers/copies.js';

const THREAD = {
  remoteId: 7201,
  urlTitle: 'road_gritting_budget',
  title: 'Road gritting budget',
  authority: { urlName: 'hackney_council', name: 'Hackney Council' },
  day: '2024-03-04',
};
const BROKEN = 'unreadable pdf: Invalid PDF structure';

let target: ChildArchive;
const sha = { broken: '', fine: '', queued: '' };

beforeAll(async () => {
  target = await openChildArchive();
  await target.inspect(async (archive) => {
    const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
    const parts: AttachmentInput[] = [];
    for (const [i, name] of (['broken', 'fine', 'queued'] as const).entries()) {
      const blob = await archive.putBlob(Buffer.from(`the ${name} document`), { contentType: 'application/pdf' });
      sha[name] = blob.sha256;
      parts.push({
        remoteId: i + 2,
        part: i + 2,
        filename: `${name} budget.pdf`,
        contentType: 'application/pdf',
        hidden: false,
        content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date('2024-03-05T10:00:00Z') },
      });
    }
    await archive.reconcileRequest(siteId, threadOf(THREAD, parts), {});
    const claims = await archive.jobs.claim('test-worker', 10);
    const job = (name: keyof typeof sha) => claims.find((c) => c.sha256 === sha[name])!.id;
    await archive.jobs.fail(job('broken'), BROKEN, { retry: false });
    await archive.jobs.complete(job('fine'), { type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {}, pages: [{ number: 1, text: 'fine' }] });
    await archive.jobs.release(job('queued'));
  });
});
afterAll(async () => {
  await target?.cleanup();
});

const work = (args: string[]) => startCli([...target.args, 'work', ...args], target.env).done;

describe('work --failed', () => {
  it('lists the documents whose extraction failed, with why and where they are archived, and the queue by state', async () => {
    const listed = await work(['--failed']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toBe('extraction queue: 1 waiting, 0 being extracted, 1 done, 1 failed');
    expect(lines).toContain(`${sha.broken}  broken budget.pdf in ${THREAD.urlTitle}`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  1 attempt, last \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: ${BROKEN}$`)));
    expect(listed.stdout).toContain('work --retry-failed puts them back in the queue');
    expect(listed.stdout).not.toContain(sha.fine);
    expect(listed.stdout).not.toContain(sha.queued);
  });

  it('gives the same as JSON, and extracts nothing', async () => {
    const listed = await work(['--json', '--failed']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      counts: { pending: 1, running: 0, done: 1, failed: 1 },
      failed: [{ sha256: sha.broken, attempts: 1, error: BROKEN, filename: 'broken budget.pdf', urlTitle: THREAD.urlTitle }],
    });
    // The waiting document is still waiting: listing is not working.
    const [queued] = await target.inspect((archive) => archive.jobs.overview(10).then((o) => [o.counts.pending]));
    expect(queued).toBe(1);
  });

  it('is refused beside the flags that extract', async () => {
    for (const flag of ['--retry-failed', '--watch']) {
      const refused = await work(['--failed', flag]);
      expect(refused.code, flag).toBe(2);
      expect(refused.stderr).toMatch(/cannot be used with/);
    }
  });
});
