import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateDocument } from '../../fixtures/site/documents/index.js';
import { sha256 } from './helpers.js';

const run = promisify(execFile);

describe('generated PDFs are well formed', () => {
  it.each([0, 1, 2, 3])('pdf seed %i: startxref and every xref entry point at the right objects', (seed) => {
    for (const kind of ['pdf', 'scanned-pdf'] as const) {
      const bytes = Buffer.from(generateDocument(kind, seed).bytes);
      const text = bytes.toString('latin1');
      if (!text.startsWith('%PDF-1.4')) continue;
      const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)?.[1]);
      expect(text.startsWith('xref\n', startxref)).toBe(true);
      const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(text.slice(startxref)) ?? [];
      expect(Number(first)).toBe(0);
      const entries = text.slice(startxref).split('\n').slice(3, 2 + Number(count));
      expect(entries).toHaveLength(Number(count) - 1);
      entries.forEach((entry, index) => {
        expect(entry).toMatch(/^\d{10} 00000 n $/);
        expect(text.startsWith(`${index + 1} 0 obj\n`, Number(entry.slice(0, 10)))).toBe(true);
      });
      expect(text).toMatch(new RegExp(`trailer\\n<< /Size ${count} /Root \\d+ 0 R /Info \\d+ 0 R /ID \\[<[0-9A-F]{32}> <[0-9A-F]{32}>\\] >>`));
    }
  });

  it('stream lengths match their data', () => {
    const text = Buffer.from(generateDocument('pdf', 9).bytes).toString('latin1');
    const streams = [...text.matchAll(/\/Length (\d+) >>\nstream\n/g)];
    expect(streams.length).toBeGreaterThan(0);
    for (const stream of streams) {
      const dataStart = (stream.index ?? 0) + stream[0].length;
      expect(text.startsWith('\nendstream', dataStart + Number(stream[1]))).toBe(true);
    }
  });
});

describe('bytes do not depend on the machine', () => {
  it('zip-based formats and emails hash the same in far-apart time zones', async () => {
    const script = `
      import { generateDocument } from './fixtures/site/documents/index.ts';
      import { createHash } from 'node:crypto';
      const kinds = ['zip', 'docx', 'xlsx', 'eml', 'pdf'];
      console.log(kinds.map((kind) => createHash('sha256').update(generateDocument(kind, 5).bytes).digest('hex')).join(' '));
    `;
    const hashesIn = async (timeZone: string) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: new URL('../../', import.meta.url),
        env: { ...process.env, TZ: timeZone },
      });
      return stdout.trim();
    };
    const [auckland, honolulu] = await Promise.all([hashesIn('Pacific/Auckland'), hashesIn('Pacific/Honolulu')]);
    const here = ['zip', 'docx', 'xlsx', 'eml', 'pdf'] as const;
    expect(auckland).toBe(honolulu);
    expect(auckland).toBe(here.map((kind) => sha256(generateDocument(kind, 5).bytes)).join(' '));
  });
});
