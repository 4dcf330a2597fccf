/**
 * PDF pages per second through extract(), against bare pdf-parse (new PDFParse + getText) on the same PDFs.
 * Sniffing, metadata and page bookkeeping should keep extract() at 0.9x or more of bare pdf-parse's pages/s.
 * Run: npx tsx bench/documents.bench.ts   (BENCH_ROUNDS=n to change the number of rounds)
 */
import { readFileSync } from 'node:fs';
import { PDFParse } from 'pdf-parse';
import { extract } from '../parsers/documents/index.js';
import { textPdf } from '../test/parsers-documents/pdf-builder.js';

const docs = new URL('../fixtures/docs/', import.meta.url);
const longLines = (page: number) =>
  Array.from({ length: 45 }, (_, line) => `Page ${page + 1}, line ${line + 1}: the public authority holds information within the scope of your request.`);
const pdfs: { name: string; bytes: Uint8Array }[] = [
  { name: 'psni.pdf', bytes: readFileSync(new URL('psni.pdf', docs)) },
  { name: 'tfl.pdf', bytes: readFileSync(new URL('tfl.pdf', docs)) },
  { name: 'generated 40 pages', bytes: textPdf(Array.from({ length: 40 }, (_, page) => longLines(page))) },
  { name: 'generated 200 pages', bytes: textPdf(Array.from({ length: 200 }, (_, page) => longLines(page))) },
];
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);

type Work = (bytes: Uint8Array) => Promise<number>;

const bare: Work = async (bytes) => {
  const parser = new PDFParse({ data: bytes.slice() });
  try {
    return (await parser.getText()).pages.length;
  } finally {
    await parser.destroy();
  }
};
const extracted: Work = async (bytes) => (await extract(bytes, { ocr: false })).pages.length;

/** Milliseconds per page for one pass over one PDF. */
async function pass(work: Work, bytes: Uint8Array): Promise<number> {
  const started = performance.now();
  const pages = await work(bytes);
  return (performance.now() - started) / pages;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const table: Record<string, Record<string, string | number>> = {};
let bareTotal = 0;
let extractTotal = 0;
for (const { name, bytes } of pdfs) {
  await pass(bare, bytes);
  await pass(extracted, bytes);
  // Alternate the two in every round so load from other processes falls on both alike.
  const bareTimes: number[] = [];
  const extractTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    bareTimes.push(await pass(bare, bytes));
    extractTimes.push(await pass(extracted, bytes));
  }
  const bareMs = median(bareTimes);
  const extractMs = median(extractTimes);
  bareTotal += bareMs;
  extractTotal += extractMs;
  table[name] = {
    'pdf-parse pages/s': Math.round(1000 / bareMs),
    'extract pages/s': Math.round(1000 / extractMs),
    'extract / pdf-parse speed': (bareMs / extractMs).toFixed(2),
  };
}

console.log(`${pdfs.length} PDFs, ${rounds} rounds, median per PDF, node ${process.version}`);
console.table(table);
const ratio = bareTotal / extractTotal;
console.log(`extract keeps ${ratio.toFixed(2)}x of bare pdf-parse pages/s over all PDFs (goal: at least 0.9x) ${ratio >= 0.9 ? 'OK' : 'UNDER GOAL'}`);
