import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_HOLDERS, seedCopies } from '../helpers/copies.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';

let target: ChildArchive;
let ids: Awaited<ReturnType<typeof seedCopies>>;

beforeAll(async () => {
  target = await openChildArchive();
  ids = await target.inspect(async (archive) => seedCopies(archive, await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow')));
});
afterAll(async () => {
  await target?.cleanup();
});

const show = (args: string[]) => startCli([...target.args, 'show', ...args], target.env).done;

describe('show lists where else each attachment was released', () => {
  it('every copy, earliest first, the ones the web leaves out marked as such', async () => {
    const shown = await show([COPY_HOLDERS.camden.urlTitle]);
    expect(shown.code).toBe(0);
    const h = COPY_HOLDERS;
    const expected = [
      `      also in [${ids.hidden}] ${h.hidden.urlTitle} (${h.hidden.authority.urlName}) 2024-05-10  [hidden on the site]`,
      `      also in [${ids.removed}] ${h.removed.urlTitle} (${h.removed.authority.urlName}) 2024-05-11  [request REMOVED from the site]`,
      `      also in [${ids.backpage}] ${h.backpage.urlTitle} (${h.backpage.authority.urlName}) 2024-05-12  [UNLISTED]`,
      `      also in [${ids.hiddenMessage}] ${h.hiddenMessage.urlTitle} (${h.hiddenMessage.authority.urlName}) 2024-05-13  [its message hidden on the site]`,
      `      also in [${ids.islington}] ${h.islington.urlTitle} (${h.islington.authority.urlName}) 2024-06-01`,
    ];
    const lines = shown.stdout.split('\n');
    const attachment = lines.findIndex((line) => line.includes(`[${ids.camden}] gritting policy.txt`));
    expect(attachment).toBeGreaterThan(-1);
    expect(lines.slice(attachment + 1, attachment + 1 + expected.length)).toEqual(expected);
    const unshared = lines.findIndex((line) => line.includes(`[${ids.unshared}] salt bins.txt`));
    expect(unshared).toBeGreaterThan(-1);
    expect(lines[unshared + 1] ?? '').not.toContain('also in');
  });

  it('marks a request the site keeps off its listings as unlisted', async () => {
    const shown = await show([COPY_HOLDERS.backpage.urlTitle]);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n').slice(0, 4)).toContain('  UNLISTED: the site keeps it off its listings and search (backpage), though it serves it by its link');
    expect((await show([COPY_HOLDERS.camden.urlTitle])).stdout).not.toContain('UNLISTED:');
  });

  it('with --json, gives each attachment its alsoReleasedIn with the visibility of every copy', async () => {
    const shown = await show(['--json', String(COPY_HOLDERS.removed.remoteId)]);
    expect(shown.code).toBe(0);
    const request = JSON.parse(shown.stdout) as {
      removedAt: string | null;
      attachments: { id: number; alsoReleasedIn: { id: number; hidden: boolean; messageHidden: boolean; request: { prominence: string; removedAt: string | null } }[]; alsoReleasedInMore: number }[];
      events: { attachments: { id: number; alsoReleasedIn: { id: number }[] }[] }[];
    };
    expect(request.removedAt).not.toBeNull();
    const [attachment] = request.attachments;
    expect(attachment?.id).toBe(ids.removed);
    expect(attachment?.alsoReleasedIn.map((copy) => copy.id)).toEqual([ids.camden, ids.hidden, ids.backpage, ids.hiddenMessage, ids.islington]);
    expect(attachment?.alsoReleasedInMore).toBe(0);
    const byId = new Map(attachment?.alsoReleasedIn.map((copy) => [copy.id, copy]));
    expect(byId.get(ids.hidden)).toMatchObject({ hidden: true });
    expect(byId.get(ids.hiddenMessage)).toMatchObject({ messageHidden: true });
    expect(byId.get(ids.backpage)?.request.prominence).toBe('backpage');
    expect(request.events[0]?.attachments[0]?.alsoReleasedIn).toEqual(attachment?.alsoReleasedIn);
  });
});
