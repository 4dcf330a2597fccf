import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHECKED = ['cli', 'crawler', 'parsers', 'storage', 'web'];
/** The one place allowed to talk to the site (issue: "the only module that makes HTTP requests"). */
const HTTP_MODULE = path.join('crawler', 'http');
/** The object store's client gives minio a transport with time limits: it talks to the archive's storage, never a site. */
const OBJECT_STORE_CLIENT = path.join('storage', 'blobs', 's3.ts');

/** What would make a request: fetch, an HTTP client library, Node's client modules (their constants aside). */
const CLIENT_USES: { pattern: RegExp; what: string }[] = [
  { pattern: /(?<![\w.])fetch\s*\(/, what: 'fetch()' },
  { pattern: /from\s+'(?:undici|axios|got|node-fetch|ky)'|import\(\s*'(?:undici|axios|got|node-fetch|ky)'\s*\)/, what: 'an HTTP client library' },
  { pattern: /import\s+(?!\{\s*STATUS_CODES\s*\})[^;]*from\s+'node:(?:http|https|http2|net|tls)'/, what: "Node's network modules" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return relative === HTTP_MODULE ? [] : sourceFiles(relative);
    return /\.(?:ts|mts|mjs)$/.test(entry.name) && relative !== OBJECT_STORE_CLIENT ? [relative] : [];
  });
}

describe('the HTTP boundary', () => {
  it('keeps every request to a site inside crawler/http', () => {
    const files = CHECKED.flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      return CLIENT_USES.filter(({ pattern }) => pattern.test(text)).map(({ what }) => `${file}: ${what}`);
    });
    expect(found).toEqual([]);
  });

  it('would notice one', () => {
    const [fetchCall, library, nodeModule] = CLIENT_USES;
    expect(fetchCall!.pattern.test('const page = await fetch(url);')).toBe(true);
    expect(fetchCall!.pattern.test('await ctx.fetcher.fetch(url); prefetch(x)')).toBe(false);
    expect(library!.pattern.test("import { request } from 'undici';")).toBe(true);
    expect(nodeModule!.pattern.test("import { get } from 'node:https';")).toBe(true);
    expect(nodeModule!.pattern.test("import { STATUS_CODES } from 'node:http';")).toBe(false);
  });
});
