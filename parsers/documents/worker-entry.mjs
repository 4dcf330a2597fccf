// Worker threads start without the parent's tsx loader. The heavy parsing libraries are loaded
// natively first (tsx would re-transform their megabytes of JavaScript in every worker), then tsx
// is registered for our own TypeScript.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import 'pdf-parse';
import { register } from 'tsx/esm/api';

// Parsing libraries print to the console; keep that out of the caller's output (a CLI may be printing JSON).
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[method] = () => {};

// pdf.js runs its "worker" in-thread under Node and takes an already loaded one from this global.
const pdfParseRequire = createRequire(createRequire(import.meta.url).resolve('pdf-parse'));
globalThis.pdfjsWorker = await import(pathToFileURL(pdfParseRequire.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')).href);

register();
await import('./worker.ts');
