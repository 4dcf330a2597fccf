import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChildArchive, startCli, type ChildArchive, type CliResult } from '../helpers/cli.js';
import { REMOVED, seedArchive, THREAD, type Seeded } from '../web/fixture.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
// The stored page links assets here; the snapshot's browser blocks every request, so nothing is ever asked of it.
const SITE = 'http://127.0.0.1:9';

let target: ChildArchive;
let seeded: Seeded;
let dir: string;
const cli = (args: string[]): Promise<CliResult> => startCli([...target.args, ...args], target.env).done;

beforeAll(async () => {
  target = await openChildArchive();
  seeded = await target.inspect((archive) => seedArchive(archive, SITE));
  dir = await mkdtemp(path.join(tmpdir(), 'wdtk-get-snapshot-'));
});
afterAll(async () => {
  await target?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('get --snapshot', () => {
  it('says how to make one when the request has no snapshot yet', async () => {
    const got = await cli(['get', '--snapshot', THREAD.urlTitle, '-o', dir]);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain(`request ${THREAD.urlTitle} has no snapshot; make one with \`wdtk-archive snapshot ${THREAD.urlTitle}\``);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes the PDF and PNG a snapshot made, checked, each with the capture it was rendered from', async () => {
    const made = await cli(['--json', 'snapshot', THREAD.urlTitle]);
    expect(made.code).toBe(0);
    const { pdfSha256, pngSha256, captureId } = JSON.parse(made.stdout) as { pdfSha256: string; pngSha256: string; captureId: number };
    expect(captureId).toBe(seeded.pageCaptureId);

    const got = await cli(['--json', 'get', '--snapshot', THREAD.urlTitle, '-o', dir]);
    expect(got).toMatchObject({ code: 0, stderr: '' });
    const written = JSON.parse(got.stdout) as { file: string; sha256: string; size: number; unchanged: boolean }[];
    const pdfFile = path.join(dir, `${THREAD.urlTitle}.snapshot.pdf`);
    const pngFile = path.join(dir, `${THREAD.urlTitle}.snapshot.png`);
    expect(written.map((w) => [w.file, w.sha256, w.unchanged])).toEqual([
      [pdfFile, pdfSha256, false],
      [pngFile, pngSha256, false],
    ]);
    const pdf = await readFile(pdfFile);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(sha256(pdf)).toBe(pdfSha256);
    expect(written[0]!.size).toBe(pdf.length);
    expect(sha256(await readFile(pngFile))).toBe(pngSha256);

    const provenance = JSON.parse(await readFile(`${pdfFile}.provenance.json`, 'utf8')) as Record<string, unknown>;
    expect(provenance).toMatchObject({
      sha256: pdfSha256,
      size: pdf.length,
      snapshot: { format: 'pdf', captureId: seeded.pageCaptureId },
      renderedFrom: { url: `${SITE}/request/${THREAD.urlTitle}?unfold=1`, status: 200 },
      request: { remoteId: THREAD.remoteId, urlTitle: THREAD.urlTitle, title: THREAD.title },
    });
  });

  it('asked again, leaves its own files as they are; by numeric id too', async () => {
    const again = await cli(['get', '--snapshot', String(THREAD.remoteId), '-o', dir]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout.match(/already there, unchanged/g)).toHaveLength(2);
    expect((await readdir(dir)).sort()).toEqual(
      [`${THREAD.urlTitle}.snapshot.pdf`, `${THREAD.urlTitle}.snapshot.pdf.provenance.json`, `${THREAD.urlTitle}.snapshot.png`, `${THREAD.urlTitle}.snapshot.png.provenance.json`].sort(),
    );
  });

  it('an unknown request is a clear error', async () => {
    const got = await cli(['get', '--snapshot', REMOVED.urlTitle.replace('withdrawn', 'never_made'), '-o', dir]);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain('no archived request matches never_made_request');
  });
});
