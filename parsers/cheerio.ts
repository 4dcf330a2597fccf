import { createRequire } from 'node:module';
import path from 'node:path';
import type { load as cheerioLoad } from 'cheerio';

// cheerio's entry module also loads what its `fromURL` needs: all of undici, and through undici's cookies module Node's
// own bundled copy of it, about 11 MiB of resident memory per isolate on Node 24 (bench/README.md, part 27): a crawl's
// main thread and each extraction worker. `load` has a module of its own, which the package does not export by name;
// cheerio is pinned in package.json, and test/crawler-http/lean-imports.test.ts fails if an upgrade moves it. Its
// CommonJS build keeps loading it synchronous; nothing in the project loads cheerio's ES modules any more.
const requireFromCheerio = createRequire(import.meta.url);
const cheerioRoot = path.dirname(requireFromCheerio.resolve('cheerio/package.json'));

/** cheerio's `load` (parse5 for HTML, htmlparser2 with `{ xml: true }`). */
export const load = (requireFromCheerio(path.join(cheerioRoot, 'dist', 'commonjs', 'load-parse.js')) as { load: typeof cheerioLoad }).load;
