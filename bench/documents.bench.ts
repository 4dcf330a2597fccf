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
// A pass reads a small PDF several times, so one pass of a 1-page file lasts long enough to time on a busy machine.
const PAGES_PER_PASS = 40;

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

interface PassTime {
  cpuMs: number;
  wallMs: number;
}

/**
 * CPU and wall milliseconds per page over `repeats` reads of one PDF. CPU time is the main figure, because
 * the machines this runs on are often busy with other work; pdf.js runs in this thread under Node, so it counts.
 */
async function pass(work: Work, bytes: Uint8Array, repeats: number): Promise<PassTime> {
  const cpuStarted = process.cpuUsage();
  const wallStarted = performance.now();
  let pages = 0;
  for (let repeat = 0; repeat < repeats; repeat++) pages += await work(bytes);
  const wallMs = performance.now() - wallStarted;
  const cpu = process.cpuUsage(cpuStarted);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / pages, wallMs: wallMs / pages };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const table: Record<string, Record<string, string | number>> = {};
const totals = { bareCpu: 0, extractCpu: 0, bareWall: 0, extractWall: 0 };
for (const { name, bytes } of pdfs) {
  const pageCount = await bare(bytes);
  const extractedCount = await extracted(bytes);
  if (extractedCount !== pageCount) throw new Error(`${name}: extract read ${extractedCount} pages, pdf-parse ${pageCount}; the two would not be doing the same work`);
  const repeats = Math.ceil(PAGES_PER_PASS / pageCount);
  await pass(bare, bytes, repeats);
  await pass(extracted, bytes, repeats);
  // Alternate the two in every round so load from other processes falls on both alike.
  const bareTimes: PassTime[] = [];
  const extractTimes: PassTime[] = [];
  for (let round = 0; round < rounds; round++) {
    bareTimes.push(await pass(bare, bytes, repeats));
    extractTimes.push(await pass(extracted, bytes, repeats));
  }
  const bareCpu = median(bareTimes.map((time) => time.cpuMs));
  const extractCpu = median(extractTimes.map((time) => time.cpuMs));
  const bareWall = median(bareTimes.map((time) => time.wallMs));
  const extractWall = median(extractTimes.map((time) => time.wallMs));
  totals.bareCpu += bareCpu;
  totals.extractCpu += extractCpu;
  totals.bareWall += bareWall;
  totals.extractWall += extractWall;
  table[`${name} (${pageCount} p. x${repeats})`] = {
    'pdf-parse pages/s': Math.round(1000 / bareCpu),
    'extract pages/s': Math.round(1000 / extractCpu),
    'extract / pdf-parse': (bareCpu / extractCpu).toFixed(2),
    'same, wall time': (bareWall / extractWall).toFixed(2),
  };
}

console.log(`${pdfs.length} PDFs, ${rounds} rounds of at least ${PAGES_PER_PASS} pages each, median per PDF, CPU time, node ${process.version}`);
console.table(table);
const ratio = totals.bareCpu / totals.extractCpu;
const wallRatio = totals.bareWall / totals.extractWall;
console.log(
  `extract keeps ${ratio.toFixed(2)}x of bare pdf-parse pages/s over all PDFs (wall time: ${wallRatio.toFixed(2)}x; goal: at least 0.9x) ${ratio >= 0.9 ? 'OK' : 'UNDER GOAL'}`,
);
