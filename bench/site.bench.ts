/**
 * Request pages per second through parseRequestPage, against a bare cheerio.load of the same pages.
 * The parser's own work (selecting blocks, walking text) should cost at most as much as the parse itself,
 * i.e. parseRequestPage at most 2x the time of cheerio.load. Run: npx tsx bench/site.bench.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as cheerio from 'cheerio';
import { parseRequestPage } from '../parsers/site/index.js';

const pagesDir = fileURLToPath(new URL('../fixtures/pages/', import.meta.url));
const files = [
  'request-folded.html',
  'request-unfolded.html',
  'request-welsh.html',
  'request-old-theme.html',
  'simulator/request_for_the_total_cost_of_fl.html',
  'simulator/request_for_the_total_cost_of_fl.unfold.html',
  'simulator/correspondence_regarding_litter.unfold.html',
  'simulator/policies_and_guidance_on_parking.unfold.html',
];
const pages = files.map((file) => readFileSync(pagesDir + file, 'utf8'));
const totalBytes = pages.reduce((sum, html) => sum + Buffer.byteLength(html), 0);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 15);

type Work = (html: string) => unknown;

const repeats = 5;

/**
 * CPU milliseconds per page over a few passes through every page. CPU time rather than wall time,
 * because the machines this runs on are often busy with other work.
 */
function pass(work: Work): number {
  const started = process.cpuUsage();
  for (let repeat = 0; repeat < repeats; repeat++) for (const html of pages) work(html);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / (repeats * pages.length);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const bareLoad: Work = (html) => cheerio.load(html);
const fullParse: Work = (html) => parseRequestPage(html, { url: 'https://www.whatdotheyknow.com/request/x' });
for (let warmup = 0; warmup < 10; warmup++) {
  pass(bareLoad);
  pass(fullParse);
}
// Alternate the two in every round so load from other processes falls on both alike.
const bareTimes: number[] = [];
const parseTimes: number[] = [];
for (let round = 0; round < rounds; round++) {
  bareTimes.push(pass(bareLoad));
  parseTimes.push(pass(fullParse));
}
const bare = median(bareTimes);
const parsed = median(parseTimes);
const ratio = parsed / bare;

console.log(`${pages.length} request pages, ${(totalBytes / pages.length / 1024).toFixed(1)} KiB on average, node ${process.version}`);
console.table({
  'cheerio.load': { 'pages/s (CPU, median)': Math.round(1000 / bare), 'ms/page': bare.toFixed(3), 'best ms/page': Math.min(...bareTimes).toFixed(3) },
  parseRequestPage: { 'pages/s (CPU, median)': Math.round(1000 / parsed), 'ms/page': parsed.toFixed(3), 'best ms/page': Math.min(...parseTimes).toFixed(3) },
});
console.log(`parseRequestPage / cheerio.load time: ${ratio.toFixed(2)}x (goal: at most 2x) ${ratio <= 2 ? 'OK' : 'OVER GOAL'}`);
