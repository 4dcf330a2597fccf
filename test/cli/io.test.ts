import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, storageKey, type Archive } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive, type CliResult } from '../helpers/cli.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Files a journalist may ask for, by what is awkward about them. */
const FILES = {
  letter: { filename: 'letter.pdf', bytes: Buffer.from('%PDF-1.4 the council answers the first request') },
  otherLetter: { filename: 'letter.pdf', bytes: Buffer.from('%PDF-1.4 the police answer the second request') },
  sameLetterAgain: { filename: 'letter.pdf', bytes: Buffer.from('%PDF-1.4 the council answers the first request') },
  cjk: { filename: `${'情報公開請求への回答書'.repeat(10)}.pdf`, bytes: Buffer.from('a hundred CJK characters') },
  emoji: { filename: `${'😀'.repeat(150)}.pdf`, bytes: Buffer.from('a name of surrogate pairs') },
  longAscii: { filename: `${'a'.repeat(300)}.docx`, bytes: Buffer.from('a name past any limit') },
  bidi: { filename: 'invoice\u202Egnp.exe', bytes: Buffer.from('MZ not a picture') },
} as const;
type FileKey = keyof typeof FILES;

/** One thread whose incoming message carries each of FILES; returns each one's attachment id. */
async function fill(archive: Archive): Promise<Record<FileKey, number>> {
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const keys = Object.keys(FILES) as FileKey[];
  const attachments = [];
  for (const [index, key] of keys.entries()) {
    const { filename, bytes } = FILES[key];
    const blob = await archive.putBlob(bytes);
    const sourceUrl = `https://www.whatdotheyknow.com/request/awkward_names/response/9/attach/${index + 2}/${encodeURIComponent(filename)}`;
    const fetchedAt = new Date('2026-06-02T10:00:00Z');
    const captureId = await archive.recordCapture({
      siteId,
      url: sourceUrl,
      fetchedAt,
      status: 200,
      requestHeaders: {},
      responseHeaders: { 'content-type': 'application/octet-stream' },
      sha256: blob.sha256,
      size: blob.size,
      kind: 'attachment',
    });
    attachments.push({ remoteId: 90 + index, part: index + 2, filename, contentType: 'application/octet-stream', sourceUrl, hidden: false, content: { sha256: blob.sha256, size: blob.size, captureId, fetchedAt } });
  }
  await archive.reconcileRequest(siteId, {
    remoteId: 900,
    urlTitle: 'awkward_names',
    title: 'Letters with awkward names',
    authority: { urlName: 'council', name: 'A Council' },
    requester: { urlName: 'jo', name: 'Jo' },
    status: 'successful',
    statusLabel: 'Successful',
    prominence: 'normal',
    remoteCreatedAt: new Date('2026-05-01T09:00:00Z'),
    events: [{ kind: 'incoming', messageId: 9, time: new Date('2026-05-20T09:00:00Z'), author: 'FOI team', hidden: false, text: 'Attached.', attachments }],
  }, {});
  const request = await archive.getRequest('awkward_names');
  return Object.fromEntries(keys.map((key, index) => [key, request!.attachments.find((a) => a.part === index + 2)!.id])) as Record<FileKey, number>;
}

let target: ChildArchive;
let ids: Record<FileKey, number>;
const cli = (args: string[]): Promise<CliResult> => startCli([...target.args, ...args], target.env).done;

beforeAll(async () => {
  target = await openChildArchive();
  ids = await target.inspect(fill);
});
afterAll(async () => {
  await target?.cleanup();
});

/** The path of a stored original, to alter it as a failing disk or a tamperer would. */
const storedFile = (bytes: Buffer) => target.inspect(async (archive) => path.join((archive.blobs as FileBlobStore).root, ...storageKey(sha256(bytes)).split('/')));

describe('get writes into a directory a journalist already keeps', () => {
  let dir: string;
  const get = (key: FileKey, outDir = dir) => cli(['get', String(ids[key]), '-o', outDir]);
  const provenanceId = async (file: string) => (JSON.parse(await readFile(`${file}.provenance.json`, 'utf8')) as { attachment: { id: number } }).attachment.id;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-get-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a second file of the same name goes beside the first as "letter (2).pdf", and the output says so', async () => {
    expect((await get('letter')).code).toBe(0);
    const second = await get('otherLetter');
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      `${path.join(dir, 'letter (2).pdf')}\n  sha256 ${sha256(FILES.otherLetter.bytes)} (checked)\n` +
        `  ${path.join(dir, 'letter.pdf')} holds another file: left as it is\n${path.join(dir, 'letter (2).pdf')}.provenance.json\n`,
    );
    expect(await readFile(path.join(dir, 'letter.pdf'))).toEqual(FILES.letter.bytes);
    expect(await provenanceId(path.join(dir, 'letter.pdf'))).toBe(ids.letter);
    expect(await readFile(path.join(dir, 'letter (2).pdf'))).toEqual(FILES.otherLetter.bytes);
    expect(await provenanceId(path.join(dir, 'letter (2).pdf'))).toBe(ids.otherLetter);
  });

  it('the same original asked for again is left as it is, and says so', async () => {
    const again = await get('letter');
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toBe(`${path.join(dir, 'letter.pdf')}\n  sha256 ${sha256(FILES.letter.bytes)} (already there, unchanged)\n${path.join(dir, 'letter.pdf')}.provenance.json\n`);
    // The same bytes released in another attachment keep that attachment's provenance too.
    const sameBytes = await get('sameLetterAgain');
    expect(sameBytes.stdout.split('\n')[0]).toBe(path.join(dir, 'letter (3).pdf'));
    expect(await provenanceId(path.join(dir, 'letter.pdf'))).toBe(ids.letter);
    expect(await provenanceId(path.join(dir, 'letter (3).pdf'))).toBe(ids.sameLetterAgain);
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it.skipIf(Boolean(process.env['S3_ENDPOINT']))('a failed get leaves the copy already there, and no temporary file', async () => {
    const own = await mkdtemp(path.join(dir, 'tampered-'));
    expect((await get('letter', own)).code).toBe(0);
    const blobFile = await storedFile(FILES.letter.bytes);
    await writeFile(blobFile, 'altered in the store');
    try {
      const failed = await get('letter', own);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(`wdtk-archive: the stored original for ${sha256(FILES.letter.bytes)} now hashes to ${sha256('altered in the store')}: not written (run \`wdtk-archive verify\`)\n`);
    } finally {
      await writeFile(blobFile, FILES.letter.bytes);
    }
    expect(await readFile(path.join(own, 'letter.pdf'))).toEqual(FILES.letter.bytes);
    expect((await readdir(own)).sort()).toEqual(['letter.pdf', 'letter.pdf.provenance.json']);
  });

  it('names are cut to fit a file system in UTF-8 bytes, with room for provenance and a copy number, keeping the extension', async () => {
    for (const key of ['cjk', 'emoji', 'longAscii'] as const) {
      const got = await get(key);
      expect(got.stderr, key).toBe('');
      const file = got.stdout.split('\n')[0]!;
      const name = path.basename(file);
      expect(Buffer.byteLength(`${name.replace(/(\.\w+)$/, ' (9999)$1')}.provenance.json`), key).toBeLessThanOrEqual(255);
      expect(name, key).toMatch(key === 'longAscii' ? /^a+\.docx$/ : /\.pdf$/);
      expect(name, key).not.toContain('\uFFFD');
      expect(FILES[key].filename.startsWith(name.replace(/\.\w+$/, '')), key).toBe(true);
      expect(await readFile(file), key).toEqual(FILES[key].bytes);
    }
  });

  it('format characters are taken out, so a name reads as what it is', async () => {
    const got = await get('bidi');
    expect(got.code).toBe(0);
    expect(got.stdout.split('\n')[0]).toBe(path.join(dir, 'invoicegnp.exe'));
  });
});

describe('export -o', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-export-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates the directories it is to write in, as get does', async () => {
    const file = path.join(dir, 'not', 'yet', 'rows.csv');
    const exported = await cli(['export', '--format', 'csv', '-o', file]);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect((await readFile(file, 'utf8')).split('\n')[0]).toMatch(/^kind,request_id,/);
  });

  it.skipIf(Boolean(process.env['S3_ENDPOINT']))('fails on an original altered in the store, in one line naming its capture, and leaves the file that was there', async () => {
    const file = path.join(dir, 'captures.warc');
    await writeFile(file, 'the export of last week');
    const blobFile = await storedFile(FILES.otherLetter.bytes);
    await writeFile(blobFile, FILES.otherLetter.bytes.subarray(0, 10));
    try {
      const failed = await cli(['export', '--format', 'warc', '-o', file]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        new RegExp(`^wdtk-archive: capture \\d+ \\(\\S+/attach/3/letter\\.pdf\\): its stored body \\(10 bytes, sha256 ${sha256(FILES.otherLetter.bytes.subarray(0, 10))}\\) is not the one recorded \\(${FILES.otherLetter.bytes.length} bytes, sha256 ${sha256(FILES.otherLetter.bytes)}\\); not exported\n$`),
      );
    } finally {
      await writeFile(blobFile, FILES.otherLetter.bytes);
    }
    expect(await readFile(file, 'utf8')).toBe('the export of last week');
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
    const exported = await cli(['export', '--format', 'warc', '-o', file]);
    expect(exported.code).toBe(0);
    expect((await readFile(file)).subarray(0, 8).toString()).toBe('WARC/1.1');
  });
});

describe('standard output whose reader stops early, as `| head -1` leaves it', () => {
  /** Runs the CLI with the reading end of its standard output already closed, before anything is written to it. */
  const withClosedOutput = (args: string[]): Promise<CliResult> => {
    const run = startCli([...target.args, ...args], target.env);
    run.child.stdout!.destroy();
    return run.done;
  };

  it.each([[['runs']], [['search', 'letter']], [['export', '--format', 'jsonl']], [['export', '--format', 'warc']]])('%j ends quietly, with exit 0', async (args) => {
    expect(await withClosedOutput(args)).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('an --archive that names no archive', () => {
  const noServer = { DATABASE_URL: '', S3_ENDPOINT: '' };
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-noarchive-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([['search', 'x'], ['show', '1'], ['get', '1'], ['export', '--format', 'csv'], ['verify'], ['runs'], ['serve', '--port', '0'], ['snapshot', '1'], ['purge', 'x']])(
    '%s fails in one line and creates nothing',
    async (...args) => {
      const mistyped = path.join(dir, 'archvie-data');
      const run = startCli(['--archive', mistyped, ...args], noServer);
      // serve would otherwise stay up, serving an empty archive.
      const timer = setTimeout(() => run.child.kill(), 20_000);
      const failed = await run.done.finally(() => clearTimeout(timer));
      expect(failed).toMatchObject({ code: 1, stdout: '' });
      expect(failed.stderr).toBe(`wdtk-archive: no archive at ${mistyped} (no such directory): pass --archive or set ARCHIVE_DIR, or start one with \`wdtk-archive crawl\`\n`);
      expect(await readdir(dir)).toEqual([]);
    },
  );

  it('a directory without the archive database is no archive either; db migrate makes one there', async () => {
    const empty = await mkdtemp(path.join(dir, 'empty-'));
    const failed = await startCli(['--archive', empty, 'verify'], noServer).done;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/\(it holds no archive database\)/);
    expect(await readdir(empty)).toEqual([]);
    const migrated = await startCli(['--archive', empty, 'db', 'migrate'], noServer).done;
    expect(migrated.code, migrated.stderr).toBe(0);
    expect((await startCli(['--archive', empty, 'verify'], noServer).done).stdout).toBe('checked 0 originals: 0 ok, 0 missing, 0 changed, 0 unreadable\n');
  });

  it('export -o leaves the file it was to replace', async () => {
    const file = path.join(dir, 'rows.csv');
    await writeFile(file, 'rows exported last week');
    const failed = await startCli(['--archive', path.join(dir, 'nowhere'), 'export', '--format', 'csv', '-o', file], noServer).done;
    expect(failed.code).toBe(1);
    expect(await readFile(file, 'utf8')).toBe('rows exported last week');
  });
});

describe('verify', () => {
  it.skipIf(Boolean(process.env['S3_ENDPOINT']))('lists an original it cannot read and checks the rest, exit 1', async () => {
    const blobFile = await storedFile(FILES.cjk.bytes);
    await rm(blobFile);
    await mkdir(blobFile);
    try {
      const verified = await cli(['verify']);
      expect(verified.code).toBe(1);
      const count = Object.keys(FILES).length - 1;
      expect(verified.stdout).toBe(`checked ${count} originals: ${count - 1} ok, 0 missing, 0 changed, 1 unreadable\nunreadable ${sha256(FILES.cjk.bytes)} (EISDIR: illegal operation on a directory, read)\n`);
      expect(verified.stderr).toBe('wdtk-archive: 1 original failed verification\n');
    } finally {
      await rm(blobFile, { recursive: true });
      await writeFile(blobFile, FILES.cjk.bytes);
    }
  });
});

describe('storage settings that cannot be used', () => {
  let dir: string;
  let closedPort: number;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-settings-'));
    // A port nothing listens on: taken, then given back.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closedPort = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a database server that does not answer is named, without its password', async () => {
    const failed = await startCli(['runs'], { DATABASE_URL: `postgres://archivist:s3cret@127.0.0.1:${closedPort}/archive`, S3_ENDPOINT: '' }).done;
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe(
      `wdtk-archive: cannot use the PostgreSQL database postgres://archivist@127.0.0.1:${closedPort}/archive (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${closedPort}\n`,
    );
  });

  it('a DATABASE_URL that is not a postgres:// URL is refused as such', async () => {
    const failed = await startCli(['runs'], { DATABASE_URL: 'archivist:s3cret@db.example.org/archive', S3_ENDPOINT: '' }).done;
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe('wdtk-archive: DATABASE_URL is not a postgres://user:password@host:port/database URL\n');
  });

  it('an object store that does not answer is named', async () => {
    const s3 = { S3_ENDPOINT: `http://127.0.0.1:${closedPort}`, S3_BUCKET: 'originals', S3_ACCESS_KEY: 'key', S3_SECRET_KEY: 'secret' };
    const failed = await startCli(['--archive', path.join(dir, 'archive'), 'db', 'migrate'], { DATABASE_URL: '', ...s3 }).done;
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe(`wdtk-archive: cannot use the S3 bucket originals at http://127.0.0.1:${closedPort} (S3_ENDPOINT): connect ECONNREFUSED 127.0.0.1:${closedPort}\n`);
  });
});
