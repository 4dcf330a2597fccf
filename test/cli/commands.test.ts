import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WARCParser } from 'warcio';
import { extract } from '../../parsers/index.js';
import { runCli } from '../../cli/index.js';
import type { Archive } from '../../storage/index.js';
import { openChildArchive, startCli, type ChildArchive } from '../helpers/cli.js';

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in this process (the modules load once, unlike a child per command), pointed at `target`
 * through the same environment a child process would get.
 */
async function run(target: ChildArchive, args: string[]): Promise<Ran> {
  const saved = { ...process.env };
  Object.assign(process.env, target.env);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
  try {
    const code = await runCli([...target.args, ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
}

const PSNI_TITLE = 'Common Purpose training for police officers';

/** One thread with one released PDF, its capture and its extracted pages: what a crawl would leave. */
async function fill(archive: Archive): Promise<{ sha256: string; bytes: Buffer }> {
  const siteId = await archive.ensureSite('https://www.whatdotheyknow.com', 'WhatDoTheyKnow');
  const bytes = await readFile(fixture('docs/psni.pdf'));
  const blob = await archive.putBlob(bytes);
  const fetchedAt = new Date('2026-06-02T10:00:00Z');
  const sourceUrl = 'https://www.whatdotheyknow.com/request/common_purpose_training/response/7/attach/2/psni.pdf?cookie_passthrough=1';
  const captureId = await archive.recordCapture({
    siteId,
    url: sourceUrl,
    fetchedAt,
    status: 200,
    requestHeaders: { 'user-agent': 'wdtk-archive/0.1.0 (+test)' },
    responseHeaders: { 'content-type': 'application/pdf', etag: 'W/"abc"' },
    sha256: blob.sha256,
    size: blob.size,
    kind: 'attachment',
  });
  await archive.reconcileRequest(
    siteId,
    {
      remoteId: 501,
      urlTitle: 'common_purpose_training',
      title: PSNI_TITLE,
      authority: { urlName: 'psni', name: 'Police Service of Northern Ireland' },
      requester: { urlName: 'jo_bloggs', name: 'Jo Bloggs' },
      status: 'successful',
      statusLabel: 'Successful',
      prominence: 'normal',
      remoteCreatedAt: new Date('2026-05-01T09:00:00Z'),
      events: [
        { kind: 'outgoing', messageId: 6, time: new Date('2026-05-01T09:00:00Z'), author: 'Jo Bloggs', hidden: false, text: 'Please send the training records.', attachments: [] },
        {
          kind: 'incoming',
          messageId: 7,
          time: new Date('2026-05-20T09:00:00Z'),
          author: 'PSNI FOI team',
          hidden: false,
          text: 'Please find our response attached.',
          attachments: [{ remoteId: 70, part: 2, filename: 'psni.pdf', contentType: 'application/pdf', sourceUrl, hidden: false, content: { sha256: blob.sha256, size: blob.size, captureId, fetchedAt } }],
        },
      ],
    },
    { captureId },
  );
  const extracted = await extract(bytes, { filename: 'psni.pdf', ocr: false });
  const [job] = await archive.jobs.claim('test');
  await archive.jobs.complete(job!.id, {
    type: extracted.type,
    mime: extracted.mime,
    pageCount: extracted.pages.length,
    needsOcr: extracted.needsOcr,
    warnings: extracted.warnings,
    metadata: extracted.metadata,
    pages: extracted.pages,
  });
  return { sha256: blob.sha256, bytes };
}

describe('the wdtk-archive command line on a filled archive', () => {
  let target: ChildArchive;
  let stored: { sha256: string; bytes: Buffer };
  let outDir: string;

  beforeAll(async () => {
    target = await openChildArchive();
    stored = await target.inspect(fill);
    outDir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-out-'));
  });
  afterAll(async () => {
    await target?.cleanup();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('search finds a phrase on its page of the document, with a marked snippet, as text and as JSON', async () => {
    const text = await run(target, ['search', '"Common Purpose"']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/psni\.pdf p\.1 \(attachment \d+\)/);
    expect(text.stdout).toMatch(/«Common» «Purpose»/);
    const json = await run(target, ['--json', 'search', '"Common Purpose"', '--type', 'pdf']);
    const result = JSON.parse(json.stdout) as { total: number; hits: { kind: string; attachment?: { page: number; sha256: string } }[] };
    expect(result.hits.some((hit) => hit.kind === 'document' && hit.attachment?.sha256 === stored.sha256)).toBe(true);
    const none = await run(target, ['search', 'Common', '--status', 'rejected']);
    expect(none.stdout).toBe('no hits\n');
  });

  it('show prints the thread with each attachment and its sha256', async () => {
    const shown = await run(target, ['show', 'common_purpose_training']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(PSNI_TITLE);
    expect(shown.stdout).toContain('Please find our response attached.');
    expect(shown.stdout).toContain(`sha256 ${stored.sha256}`);
    const byId = await run(target, ['--json', 'show', '501']);
    expect((JSON.parse(byId.stdout) as { urlTitle: string }).urlTitle).toBe('common_purpose_training');
  });

  it('get writes the original byte for byte under its filename, with its provenance beside it', async () => {
    const got = await run(target, ['get', stored.sha256, '-o', outDir]);
    expect(got.code).toBe(0);
    const written = await readFile(path.join(outDir, 'psni.pdf'));
    expect(createHash('sha256').update(written).digest('hex')).toBe(stored.sha256);
    expect(written.equals(stored.bytes)).toBe(true);
    const provenance = JSON.parse(await readFile(path.join(outDir, 'psni.pdf.provenance.json'), 'utf8')) as Record<string, any>;
    expect(provenance.sha256).toBe(stored.sha256);
    expect(provenance.size).toBe(stored.bytes.length);
    expect(provenance.capture.url).toMatch(/\/response\/7\/attach\/2\/psni\.pdf/);
    expect(provenance.capture.status).toBe(200);
    expect(provenance.capture.fetchedAt).toBe('2026-06-02T10:00:00.000Z');
    expect(provenance.capture.responseHeaders['content-type']).toBe('application/pdf');
    expect(provenance.request).toMatchObject({ remoteId: 501, urlTitle: 'common_purpose_training' });
    expect(provenance.message).toMatchObject({ kind: 'incoming', id: 7 });
    // the citation the attachment's web page gives, to paste beside the file
    expect(provenance.citation).toBe(
      `Police Service of Northern Ireland, “psni.pdf”, sent 2026-05-20, in reply to the FOI request “${PSNI_TITLE}” ` +
        `(https://www.whatdotheyknow.com/request/common_purpose_training). Original retrieved from https://www.whatdotheyknow.com/request/common_purpose_training/response/7/attach/2/psni.pdf?cookie_passthrough=1 on 2026-06-02T10:00:00.000Z; ` +
        `SHA-256 ${stored.sha256}.`,
    );
  });

  it('export streams the result set as JSON Lines and as CSV', async () => {
    const jsonl = await run(target, ['export', 'Purpose', '--format', 'jsonl']);
    expect(jsonl.code).toBe(0);
    const rows = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { urlTitle: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.urlTitle === 'common_purpose_training')).toBe(true);
    const csvFile = path.join(outDir, 'export.csv');
    const csv = await run(target, ['export', '--format', 'csv', '-o', csvFile]);
    expect(csv.code).toBe(0);
    const lines = (await readFile(csvFile, 'utf8')).trim().split('\n');
    expect(lines[0]).toMatch(/^kind,request_id,remote_id,url_title,title/);
    expect(lines.length).toBeGreaterThan(1);
    const bad = await run(target, ['export', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wdtk-archive: --format takes jsonl, csv, warc, not "xml"\n');
  });

  it('export --format warc writes the captures behind the result set, readable by a WARC parser', async () => {
    const warcFile = path.join(outDir, 'export.warc');
    const exported = await run(target, ['export', 'Purpose', '--format', 'warc', '-o', warcFile]);
    expect(exported.code).toBe(0);
    const records: { type: string | undefined; uri: string | null | undefined; payloadDigest: string | null | undefined }[] = [];
    for await (const record of new WARCParser([await readFile(warcFile)])) {
      records.push({ type: record.warcType, uri: record.warcTargetURI, payloadDigest: record.warcPayloadDigest });
      await record.readFully(false);
    }
    expect(exported.stderr).toBe(`${records.length} WARC records written\n`);
    const response = records.find((r) => r.type === 'response' && r.uri?.includes('/attach/2/psni.pdf'));
    expect(response?.payloadDigest).toBe(`sha256:${stored.sha256}`);
  });

  it('db migrate is a no-op on a migrated archive', async () => {
    const migrated = await run(target, ['db', 'migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/^migrations applied/);
  });

  it('verify passes, then reports a missing original and exits 1', async () => {
    const ok = await run(target, ['verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/checked \d+ originals: \d+ ok, 0 missing, 0 changed, 0 unreadable\n$/);

    // An object stored without its row, as a run killed between the two leaves it: reported, not a failure.
    const left = await target.inspect((archive) => archive.blobs.put(Buffer.from('stored by a killed run')));
    const reported = await run(target, ['verify']);
    expect(reported.code).toBe(0);
    expect(reported.stdout).toContain(`1 stored object no row names (--remove-unindexed deletes them)\nunindexed ${left.sha256}\n`);
    const kept = await run(target, ['verify', '--remove-unindexed']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`1 stored object no row names, 0 removed\nunindexed ${left.sha256}\n`);

    await target.inspect((archive) => archive.blobs.delete(stored.sha256));
    const broken = await run(target, ['verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`missing  ${stored.sha256}`);
    expect(broken.stderr).toBe('wdtk-archive: 1 original failed verification\n');
    const refused = await run(target, ['get', stored.sha256, '-o', outDir]);
    expect(refused.code).toBe(1);
  });

  it('purge erases the request; show then fails in one line', async () => {
    const purged = await run(target, ['purge', 'common_purpose_training']);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/^purged common_purpose_training:/);
    const gone = await run(target, ['show', 'common_purpose_training']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('wdtk-archive: no request "common_purpose_training" in the archive\n');
  });
});

describe('parse', () => {
  const noArchive: ChildArchive = { args: [], env: {}, inspect: () => Promise.reject(new Error('unused')), cleanup: async () => {} };

  it('parse page prints the documented record of a saved request page', async () => {
    const parsed = await run(noArchive, ['parse', 'page', path.join(fixture('pages').pathname, 'request-unfolded.html'), '--url', 'https://www.whatdotheyknow.com/request/x']);
    expect(parsed.code).toBe(0);
    const page = JSON.parse(parsed.stdout) as { kind: string; request: Record<string, unknown>; events: { kind: string; id: number; attachments: unknown[] }[]; warnings: string[] };
    expect(page.kind).toBe('request');
    expect(Object.keys(page.request)).toEqual(expect.arrayContaining(['urlTitle', 'title', 'status', 'statusLabel', 'authority', 'requester']));
    expect(page.events.length).toBeGreaterThan(1);
    expect(page.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['outgoing', 'incoming']));
  });

  it('parse doc prints the extraction of a document', async () => {
    const parsed = await run(noArchive, ['parse', 'doc', fixture('docs/psni.pdf').pathname]);
    expect(parsed.code).toBe(0);
    const doc = JSON.parse(parsed.stdout) as { type: string; pages: { number: number; text: string }[]; metadata: { pageCount?: number } };
    expect(doc.type).toBe('pdf');
    expect(doc.pages.map((p) => p.text).join(' ')).toContain('Common Purpose');
  });

  it('a missing file is one line on stderr and exit 1', async () => {
    const missing = await run(noArchive, ['parse', 'page', '/nonexistent/page.html']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('wdtk-archive: cannot read /nonexistent/page.html: ENOENT\n');
  });
});

describe('usage', () => {
  const noArchive: ChildArchive = { args: [], env: {}, inspect: () => Promise.reject(new Error('unused')), cleanup: async () => {} };

  it('every command answers --help with its usage and exit 0', async () => {
    const top = await run(noArchive, ['--help']);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((name) => name !== 'help');
    expect(names).toEqual(expect.arrayContaining(['crawl', 'schedule', 'work', 'search', 'show', 'get', 'export', 'verify', 'runs', 'serve', 'snapshot', 'parse', 'purge', 'simulate', 'db']));
    for (const name of names) {
      const help = await run(noArchive, [name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^Usage: wdtk-archive ${name}`));
    }
  });

  it('bad usage exits 2: unknown commands, unknown flags, bad values', async () => {
    expect((await run(noArchive, ['frobnicate'])).code).toBe(2);
    expect((await run(noArchive, ['search', '--bogus'])).code).toBe(2);
    const badDate = await run(noArchive, ['search', 'x', '--from', '1/2/2026']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toBe('wdtk-archive: --from takes a date as YYYY-MM-DD, not "1/2/2026"\n');
    const badSite = await run(noArchive, ['--site', 'www.whatdotheyknow.com', 'crawl', '--request', '3']);
    expect(badSite.code).toBe(2);
    expect(badSite.stderr).toBe('wdtk-archive: --site takes an Alaveteli site\'s http(s) address, such as https://www.whatdotheyknow.com, not "www.whatdotheyknow.com"\n');
    const publicUrlError = (value: string) =>
      `wdtk-archive: --public-url (WEB_PUBLIC_URL) takes the root address of the web UI, such as https://archive.example.org, with no path, query or fragment, not "${value}"\n`;
    const badPublicUrl = await run(noArchive, ['serve', '--public-url', 'https://example.org/archive']);
    expect([badPublicUrl.code, badPublicUrl.stderr]).toEqual([2, publicUrlError('https://example.org/archive')]);
    const fromEnv = await run({ ...noArchive, env: { WEB_PUBLIC_URL: 'https://example.org/archive' } }, ['serve']);
    expect([fromEnv.code, fromEnv.stderr]).toEqual([2, publicUrlError('https://example.org/archive')]);
    // Empty is unset, as docker-compose passes an unset variable: serve goes on to open the archive (none here: an
    // empty DATABASE_URL is unset too, so on the server setting it does not open and serve the test database).
    const empty = await run({ ...noArchive, env: { WEB_PUBLIC_URL: '', DATABASE_URL: '' } }, ['--archive', '/nonexistent/archive', 'serve']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^wdtk-archive: no archive at \/nonexistent\/archive/);
  });

  it('the installed bin runs as a process with the same exit codes', async () => {
    const version = await startCli(['--version']).done;
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = await startCli(['frobnicate']).done;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('simulate serves the site until interrupted, each answer held back by --latency', async () => {
    const simulate = startCli(['simulate', '--port', '0', '--requests', '5', '--latency', '150']);
    const url = await new Promise<string>((resolve, reject) => {
      let printed = '';
      simulate.child.stdout!.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        const served = / at (http:\/\/127\.0\.0\.1:\d+)\n/.exec(printed);
        if (served) resolve(served[1]!);
      });
      void simulate.done.then((result) => reject(new Error(`simulate exited ${result.code}: ${result.stderr}`)));
    });
    const started = performance.now();
    const robots = await fetch(`${url}/robots.txt`);
    expect(await robots.text()).toMatch(/^User-agent:/m);
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    simulate.child.kill('SIGINT');
    const result = await simulate.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('answers after 150 ms');
  });
});
