import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { extract, extractIsolated, ExtractError, sanitiseEntryName, type ExtractResult } from '../../parsers/documents/index.js';
import { loopingPdf, runawayStreamPdf, textPdf } from './pdf-builder.js';
import { greyPng } from './png-builder.js';

const docs = new URL('../../fixtures/docs/', import.meta.url);
const MiB = 1024 * 1024;

function zeros(bytes: number): Uint8Array {
  return new Uint8Array(bytes);
}

/** Rewrites the uncompressed size recorded for the first entry, in both the local header and the central directory. */
function lieAboutSize(zip: Uint8Array, claimedSize: number): Uint8Array {
  const patched = Buffer.from(zip);
  patched.writeUInt32LE(claimedSize, 22);
  const central = patched.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  patched.writeUInt32LE(claimedSize, central + 24);
  return patched;
}

const warningsOf = (result: ExtractResult) => result.warnings.join('\n');

async function onPath(command: string): Promise<boolean> {
  return promisify(execFile)(command, ['-v']).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
}

/** tesseract processes this process started, running or exited and never reaped. */
function tesseractsOfThisProcess(): string[] {
  const children = spawnSync('pgrep', ['-a', '-P', String(process.pid)], { encoding: 'utf8' }).stdout;
  return children.split('\n').filter((line) => line.includes('tesseract'));
}

describe('hostile archives', () => {
  it('refuses a zip bomb by compression ratio, without inflating it', async () => {
    const bomb = zipSync({ 'bomb.txt': zeros(24 * MiB), 'note.txt': strToU8('the real note') }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const result = await extract(bomb, { filename: 'bomb.zip' });
    expect(result.type).toBe('zip');
    expect(warningsOf(result)).toMatch(/entry "bomb.txt" not extracted: compression ratio \d+:1 exceeds 200:1 \(maxRatio\): possible zip bomb/);
    expect(result.children.map((child) => child.name)).toEqual(['note.txt']);
    expect(result.children[0]!.pages[0]!.text).toBe('the real note');
  });

  it('stops at the total uncompressed budget across nested archives (42.zip style)', async () => {
    const layer: Zippable = {};
    for (let index = 0; index < 8; index++) layer[`part-${index}.txt`] = strToU8(`${index} `.repeat(300_000));
    const inner = zipSync(layer, { level: 1 });
    const outer = zipSync({ 'a.zip': inner, 'b.zip': inner, 'c.zip': inner }, { level: 0 });
    const result = await extract(outer, { limits: { maxTotalUncompressed: 8 * MiB } });
    const refusals = result.children.flatMap((child) => child.warnings).filter((warning) => warning.includes('maxTotalUncompressed'));
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatch(/possible zip bomb/);
  });

  it('does not trust a size the archive lies about', async () => {
    const liar = lieAboutSize(zipSync({ 'small.txt': zeros(20 * MiB) }, { level: 9 }), 1000);
    const result = await extract(liar);
    expect(result.children).toEqual([]);
    expect(warningsOf(result)).toMatch(/entry "small.txt" unreadable/);
  });

  it('follows nested archives only down to maxDepth', async () => {
    let nested = zipSync({ 'deepest.txt': strToU8('treasure') });
    for (let level = 0; level < 8; level++) nested = zipSync({ [`level-${level}.zip`]: nested });
    const result = await extract(nested, { limits: { maxDepth: 3 } });
    let node: ExtractResult = result;
    for (let depth = 0; depth < 4; depth++) node = node.children[0]!;
    expect(node.type).toBe('zip');
    expect(node.children).toEqual([]);
    expect(node.warnings).toEqual(['not extracted: nested more than 3 levels deep (maxDepth)']);
    expect(JSON.stringify(result)).not.toContain('treasure');
  });

  it('sanitises entry names with traversal, absolute paths, backslashes and NULs, and reports them', async () => {
    const archive = zipSync({
      '../../etc/passwd': strToU8('one'),
      '/etc/shadow': strToU8('two'),
      'C:\\Windows\\evil.txt': strToU8('three'),
      'dir\\..\\..\\escape.txt': strToU8('four'),
      'nul\u0000name.txt': strToU8('five'),
      'fine/name.txt': strToU8('six'),
    });
    const result = await extract(archive);
    expect(result.children.map((child) => [child.name, child.pages[0]!.text])).toEqual([
      ['etc/passwd', 'one'],
      ['etc/shadow', 'two'],
      ['Windows/evil.txt', 'three'],
      ['dir/escape.txt', 'four'],
      ['nulname.txt', 'five'],
      ['fine/name.txt', 'six'],
    ]);
    expect(warningsOf(result)).toContain('entry name "../../etc/passwd" sanitised to "etc/passwd"');
    expect(result.warnings).toHaveLength(5);
    expect(sanitiseEntryName('../..')).toBe('unnamed');
  });

  it('counts entries against maxEntries', async () => {
    const many: Zippable = {};
    for (let index = 0; index < 30; index++) many[`file-${index}.txt`] = strToU8(`file ${index}`);
    const result = await extract(zipSync(many), { limits: { maxEntries: 10 } });
    expect(result.children).toHaveLength(10);
    expect(warningsOf(result)).toMatch(/archive lists 30 entries; only the first 10 are considered/);
  });

  it('reports a corrupt ZIP instead of throwing', async () => {
    const archive = zipSync({ 'a.txt': strToU8('hello '.repeat(1000)) });
    const result = await extract(archive.subarray(0, archive.length - 30));
    expect(result.type).toBe('zip');
    expect(warningsOf(result)).toMatch(/unreadable ZIP/);
  });
});

describe('hostile and broken documents', () => {
  it('gives a clear result for truncated and garbage PDFs', async () => {
    const psni = await readFile(new URL('psni.pdf', docs));
    const truncated = await extractIsolated(psni.subarray(0, 3000), { timeoutMs: 10_000 });
    expect(truncated.type).toBe('pdf');
    expect(truncated.pages.every((page) => typeof page.text === 'string')).toBe(true);
    expect(truncated.warnings.length + truncated.pages.length).toBeGreaterThan(0);
    const garbage = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 20_000 }, (_, index) => (index * 7919) % 256))]);
    const result = await extractIsolated(garbage, { timeoutMs: 10_000 });
    expect(result.type).toBe('pdf');
    expect(result.pages).toEqual([]);
    expect(warningsOf(result)).toMatch(/unreadable PDF/);
  });

  it('survives a PDF whose page tree and form XObject refer to themselves', async () => {
    const result = await extractIsolated(loopingPdf(), { timeoutMs: 10_000 }).catch((error: unknown) => error);
    if (result instanceof ExtractError) expect(result.code).toBe('timeout');
    else expect((result as ExtractResult).type).toBe('pdf');
  });

  it('survives a PDF stream that claims a gigabyte and never ends', async () => {
    const result = await extractIsolated(runawayStreamPdf(), { timeoutMs: 10_000 });
    expect(result.type).toBe('pdf');
    expect(result.pages.map((page) => page.text.trim()).join('')).toBe('');
  });

  it('stops a slow extraction at the time limit, and the next one still works', async () => {
    await extractIsolated(strToU8('warm up the worker'));
    const bigPdf = textPdf(Array.from({ length: 600 }, (_, page) => Array.from({ length: 40 }, (_, line) => `Page ${page} line ${line} of a long disclosure`)));
    const error = await extractIsolated(bigPdf, { timeoutMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExtractError);
    expect((error as ExtractError).code).toBe('timeout');
    expect((error as ExtractError).message).toMatch(/longer than 50 ms/);
    const after = await extractIsolated(strToU8('still alive'));
    expect(after.pages[0]!.text).toBe('still alive');
  });

  it('kills an OCR tool still running at the time limit, rather than leave it behind the stopped worker', { timeout: 60_000 }, async () => {
    if (!(await onPath('tesseract'))) return;
    await extractIsolated(strToU8('warm up the worker'));
    // Noise keeps tesseract busy for seconds.
    const noise = greyPng(2_500, 2_500, () => randomBytes(2_500));
    const error = await extractIsolated(noise, { filename: 'scan.png', timeoutMs: 2_000 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(tesseractsOfThisProcess()).toEqual([]);
  });

  it('turns an out-of-memory worker into a typed error', async () => {
    // Two million elements: a DOM far larger than the 32 MB heap a worker starts in (with room to spare).
    const huge = Buffer.from('<p>word</p>'.repeat(2 * MiB));
    const error = await extractIsolated(huge, { filename: 'page.html', memoryMb: 32, timeoutMs: 30_000, limits: { maxTextChars: 200_000_000 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExtractError);
    expect((error as ExtractError).code).toBe('crashed');
    expect((error as ExtractError).message).toMatch(/out of memory/);
  });

  it('refuses input larger than maxBytes with a typed error', async () => {
    await expect(extract(zeros(2048), { limits: { maxBytes: 1024 } })).rejects.toMatchObject({ code: 'too_large' });
    await expect(extractIsolated(zeros(2048), { limits: { maxBytes: 1024 } })).rejects.toMatchObject({ code: 'too_large' });
    await expect(extractIsolated('/nonexistent/file.pdf')).rejects.toMatchObject({ code: 'unreadable' });
  });

  it('handles a 0-byte file in isolation', async () => {
    const result = await extractIsolated(new Uint8Array(), { filename: 'report.pdf' });
    expect(result).toMatchObject({ type: 'empty', pages: [], children: [], warnings: ['empty file: no text'] });
  });

  it('sniffs past a lying extension and content type, and says so', async () => {
    const zip = zipSync({ 'inside.txt': strToU8('zipped text') });
    const result = await extract(zip, { filename: 'annual-report.pdf', contentType: 'application/pdf' });
    expect(result.type).toBe('zip');
    expect(result.warnings[0]).toBe('the filename extension .pdf says pdf and the content type application/pdf says pdf, but the content is zip');
    expect(result.children[0]!.pages[0]!.text).toBe('zipped text');
    const pdfAsDocx = await extract(textPdf([['Actually a PDF']]), { filename: 'letter.docx' });
    expect(pdfAsDocx.type).toBe('pdf');
    expect(pdfAsDocx.pages[0]!.text).toBe('Actually a PDF');
    expect(pdfAsDocx.warnings).toEqual(['the filename extension .docx says docx, but the content is pdf']);
  });

  it('reports binary junk as unknown and unsupported formats as such', async () => {
    const junk = await extract(Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 7, 9]));
    expect(junk.type).toBe('unknown');
    expect(junk.warnings).toEqual(['format not supported: unknown (application/octet-stream)']);
    const gzip = await extract(Buffer.from('1f8b0800000000000003cb48cdc9c95728cf2fca49e102002d3b08af0c000000', 'hex'));
    expect(gzip.type).toBe('gz');
    expect(gzip.warnings[0]).toMatch(/^format not supported: gz/);
  });
});
