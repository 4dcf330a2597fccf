// Worker threads start without the parent's tsx loader. pdf.js, the heaviest parsing library and the one nearly every
// worker needs, is loaded natively first (tsx would re-transform its megabytes of JavaScript in every worker), then our
// own code: compiled JavaScript beside this file in a build (scripts/build.mjs), else the TypeScript through tsx. The
// other format libraries load with the first document that needs them (documents/extract.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import 'pdf-parse';

// Parsing libraries print to the console; keep that out of the caller's output (a CLI may be printing JSON).
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[method] = () => {};

// pdf.js runs its "worker" in-thread under Node and takes an already loaded one from this global.
const pdfParseRequire = createRequire(createRequire(import.meta.url).resolve('pdf-parse'));
globalThis.pdfjsWorker = await import(pathToFileURL(pdfParseRequire.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')).href);

const compiled = new URL('./worker.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
}
