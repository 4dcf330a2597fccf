import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type GeneratedKind,
  generateDocument,
  generatedKinds,
  sampleDocuments,
} from '../../fixtures/site/documents/index.js';
import { sha256 } from './helpers.js';

const generatedOnly = generatedKinds.filter((kind) => kind !== 'sample' && kind !== 'scanned-pdf');

describe('generateDocument determinism', () => {
  it.each(generatedKinds)('%s: the same arguments give the same bytes, filename and text', (kind) => {
    for (const seed of [0, 1, 42, 2026]) {
      const first = generateDocument(kind, seed);
      const second = generateDocument(kind, seed);
      expect(sha256(second.bytes)).toBe(sha256(first.bytes));
      expect(second.filename).toBe(first.filename);
      expect(second.pages).toEqual(first.pages);
    }
  });

  it.each(generatedOnly)('%s: different seeds give different bytes', (kind) => {
    const hashes = new Set(Array.from({ length: 20 }, (_, seed) => sha256(generateDocument(kind, seed).bytes)));
    expect(hashes.size).toBe(20);
  });

  it('a hint changes the document and shows in its text', () => {
    const hint = { title: 'Gritting of rural roads', authority: 'Cyngor Gwynedd' };
    const plain = generateDocument('docx', 7);
    const hinted = generateDocument('docx', 7, hint);
    expect(sha256(hinted.bytes)).not.toBe(sha256(plain.bytes));
    expect(hinted.pages[0]).toContain('Re: Gritting of rural roads');
    expect(hinted.pages[0]).toContain('Cyngor Gwynedd');
    expect(sha256(generateDocument('docx', 7, hint).bytes)).toBe(sha256(hinted.bytes));
  });

  it('scanned PDFs are sometimes the real cat.pdf and otherwise a distinct generated scan', () => {
    const catHash = sha256(readFileSync(new URL('../../fixtures/docs/cat.pdf', import.meta.url)));
    const scans = Array.from({ length: 40 }, (_, seed) => generateDocument('scanned-pdf', seed));
    const cats = scans.filter((scan) => sha256(scan.bytes) === catHash);
    const generated = scans.filter((scan) => sha256(scan.bytes) !== catHash);
    expect(cats.length).toBeGreaterThan(0);
    expect(generated.length).toBeGreaterThan(cats.length);
    expect(new Set(generated.map((scan) => sha256(scan.bytes))).size).toBe(generated.length);
    expect(scans.every((scan) => scan.pages.length === 0)).toBe(true);
  });

  it('seeds reach every shipped sample', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, seed) => generateDocument('sample', seed).filename));
    expect([...seen].sort()).toEqual([...sampleDocuments].sort());
  });

  it('filenames look like raw authority filenames, with something for display normalisation to do', () => {
    const names = generatedKinds.flatMap((kind) => Array.from({ length: 12 }, (_, seed) => generateDocument(kind, seed).filename));
    const extensions: Record<GeneratedKind, RegExp> = {
      pdf: /\.pdf$/, 'scanned-pdf': /\.pdf$/, docx: /\.docx$/, xlsx: /\.xlsx$/, csv: /\.csv$/,
      txt: /\.txt$/, zip: /\.zip$/, eml: /\.eml$/, sample: /\.(pdf|rtf|html|csv|jpg)$/,
    };
    generatedKinds.forEach((kind, index) => {
      for (const name of names.slice(index * 12, index * 12 + 12)) expect(name).toMatch(extensions[kind]);
    });
    expect(names.some((name) => name.includes('%20'))).toBe(true);
    expect(names.some((name) => /[^\x20-\x7e]/.test(name))).toBe(true);
    expect(names.some((name) => name.includes(' '))).toBe(true);
    expect(names.some((name) => name.includes('&'))).toBe(true);
  });

  it('PDFs have one to six pages, and every length occurs', () => {
    const pageCounts = Array.from({ length: 60 }, (_, seed) => generateDocument('pdf', seed).pages.length);
    expect(Math.min(...pageCounts)).toBe(1);
    expect(Math.max(...pageCounts)).toBe(6);
    expect(new Set(pageCounts).size).toBe(6);
  });
});
