import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';

// What a hostile site or document could put in text the CLI prints: set the window title, clear the screen, ring.
const RETITLE = '\u001b]0;you have been hacked\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const C1_CSI = '\u009b31m';

/** A thread holding control characters in its title, a message and a document's text, as an older archive kept them. */
async function fill(archive: Archive): Promise<void> {
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const blob = await archive.putBlob(Buffer.from('%PDF-1.4 gritting routes'));
  await archive.reconcileRequest(siteId, {
    remoteId: 77,
    urlTitle: 'gritting_routes',
    title: `Gritting routes${RETITLE}`,
    authority: { urlName: 'council', name: `A Council${C1_CSI}` },
    requester: null,
    status: 'successful',
    statusLabel: 'Successful',
    prominence: 'normal',
    remoteCreatedAt: new Date('2026-01-05T09:00:00Z'),
    events: [
      {
        kind: 'incoming', messageId: 9, time: new Date('2026-01-20T09:00:00Z'), author: 'Roads team', hidden: false,
        text: `The gritting routes are attached.${CLEAR}\r\nRegards`,
        attachments: [{ remoteId: 90, part: 2, filename: 'routes.pdf', contentType: 'application/pdf', hidden: false, content: { sha256: blob.sha256, size: blob.size, fetchedAt: new Date() } }],
      },
    ],
  }, {});
  const [job] = await archive.jobs.claim('test');
  await archive.jobs.complete(job!.id, {
    type: 'pdf', pageCount: 1, needsOcr: false, warnings: [], metadata: {},
    pages: [{ number: 1, text: `Route seven covers the ring road${CLEAR} and the hospital.` }],
  });
}

let target: ChildArchive;
beforeAll(async () => {
  target = await openChildArchive();
  await target.inspect(fill);
});
afterAll(async () => {
  await target?.cleanup();
});

const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('text the CLI prints cannot drive the terminal', () => {
  it('show prints control characters of a title, a name and a message as U+FFFD, and CRLF as a line break', async () => {
    const shown = await startCli([...target.args, 'show', 'gritting_routes'], target.env).done;
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(CONTROLS);
    expect(shown.stdout).toContain('Gritting routes\uFFFD]0;you have been hacked\uFFFD\n');
    expect(shown.stdout).toContain('A Council\uFFFD31m');
    expect(shown.stdout).toContain('    The gritting routes are attached.\uFFFD[2J\uFFFD[H\n    Regards\n');
  });

  it("search does the same for a hit's title and a document's snippet", async () => {
    const found = await startCli([...target.args, 'search', 'ring road'], target.env).done;
    expect(found.code).toBe(0);
    expect(found.stdout).not.toMatch(CONTROLS);
    expect(found.stdout).toContain('Gritting routes\uFFFD]0;you have been hacked\uFFFD');
    expect(found.stdout).toMatch(/«ring» «road»\uFFFD\[2J\uFFFD\[H and the hospital/);
  });
});
