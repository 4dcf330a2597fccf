/**
 * Peak RSS of a process that extracts documents through extractIsolated (one worker thread, as `work --concurrency 1`
 * keeps), by what the documents are: what an extraction worker costs beside a crawl or in a `work` process. Runs the
 * compiled build (scripts/build.mjs) under the running Node, each set of documents in a fresh process.
 * Run: npm run bench -- extraction-memory   (BENCH_ROUNDS, default 3: runs per set, the median is reported)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateDocument, type GeneratedKind } from '../fixtures/site/documents/index.js';
import { compiledBuild } from './compiled-build.js';
import { gnuTimeMaxRssMb, runMeasuringRss } from './crawler/peak-rss.js';

const samples = fileURLToPath(new URL('../fixtures/docs/', import.meta.url));
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);

// Extracts each file named after the parsers' module in turn, in one worker, and says what it found. V8's young
// generation is kept at its starting size as the CLI keeps it (cli/main.ts), for `work` and `crawl` alike.
const child = `
  (await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');
  const { extractIsolated } = await import(process.argv[2]);
  const found = [];
  for (const file of process.argv.slice(3)) {
    const result = await extractIsolated(file, { ocr: false });
    found.push(result.type + ':' + result.pages.length);
  }
  console.log(found.join(' '));
  process.exit(0);`;

const dir = await mkdtemp(path.join(tmpdir(), 'wdtk-bench-extraction-memory-'));
try {
  const generated = async (kind: GeneratedKind, extension: string): Promise<string> => {
    const file = path.join(dir, `generated.${extension}`);
    await writeFile(file, generateDocument(kind, 11).bytes);
    return file;
  };
  const pdfs = ['psni.pdf', 'tfl.pdf', 'interesting.pdf'].map((name) => path.join(samples, name));
  const docx = await generated('docx', 'docx');
  const xlsx = await generated('xlsx', 'xlsx');
  const eml = await generated('eml', 'eml');
  const sets: [string, string[]][] = [
    ['nothing (a plain text file)', [await generated('txt', 'txt')]],
    ['three PDFs', pdfs],
    ['a DOCX', [docx]],
    ['an XLSX', [xlsx]],
    ['three PDFs, a DOCX, an XLSX and an email', [...pdfs, docx, xlsx, eml]],
  ];
  const parsers = pathToFileURL(path.join(compiledBuild(), 'parsers', 'index.js')).href;
  // A file, not --eval: the worker would inherit --input-type with Node's other flags.
  const childScript = path.join(dir, 'extract.mjs');
  await writeFile(childScript, child);
  console.log(`node ${process.version}; peak RSS of the whole process (main thread + one extraction worker), median of ${rounds}`);
  for (const [label, files] of sets) {
    const peaks: number[] = [];
    let found = '';
    for (let round = 0; round < rounds; round++) {
      const run = await runMeasuringRss('/usr/bin/time', ['-v', process.execPath, childScript, parsers, ...files], { cwd: dir });
      if (run.code !== 0) throw new Error(`extraction of ${label} failed: ${run.stderr.slice(-2000)}`);
      peaks.push(gnuTimeMaxRssMb(run.stderr) ?? Number.NaN);
      found = run.stdout.trim();
    }
    const median = [...peaks].sort((a, b) => a - b)[Math.floor(peaks.length / 2)]!;
    console.log(`${label}: ${median.toFixed(0)} MiB (runs: ${peaks.map((peak) => peak.toFixed(0)).join(' / ')}; extracted ${found})`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
