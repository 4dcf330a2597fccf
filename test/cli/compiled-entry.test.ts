import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP, RUNTIME_FOLDERS, freshCompiledEntry } from '../../scripts/compiled.mjs';

// A project tree as bin/wdtk-archive.js sees it: every source and build input dated `SOURCES`, the build `BUILT`.
const SOURCES = new Date('2026-11-01T10:00:00Z');
const BUILT = new Date('2026-11-01T10:00:05Z');
const LATER = new Date('2026-11-01T10:00:09Z');

describe('whether the compiled CLI in dist/ is that of the sources beside it', () => {
  let root: string;
  const at = (relative: string, when: Date) => utimesSync(path.join(root, relative), when, when);
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wdtk-compiled-'));
    for (const input of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) writeFileSync(path.join(root, input), '{}');
    for (const folder of RUNTIME_FOLDERS) {
      mkdirSync(path.join(root, folder, 'inner'), { recursive: true });
      writeFileSync(path.join(root, folder, 'inner', 'module.ts'), 'export {};');
    }
    mkdirSync(path.join(root, 'dist'));
    writeFileSync(path.join(root, 'dist', BUILD_STAMP), '');
    for (const folder of RUNTIME_FOLDERS) {
      for (const relative of [path.join(folder, 'inner', 'module.ts'), path.join(folder, 'inner'), folder]) at(relative, SOURCES);
    }
    for (const input of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) at(input, SOURCES);
    at(path.join('dist', BUILD_STAMP), BUILT);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is, when nothing changed after the build started', () => {
    expect(freshCompiledEntry(root)).toBe(path.join(root, 'dist', 'cli', 'main.js'));
  });

  it('is not without a build', () => {
    rmSync(path.join(root, 'dist'), { recursive: true });
    expect(freshCompiledEntry(root)).toBeNull();
  });

  it('is not once a source deep in a folder is saved again', () => {
    at(path.join('storage', 'inner', 'module.ts'), LATER);
    expect(freshCompiledEntry(root)).toBeNull();
  });

  it('is not once a source is removed or added (its folder changes)', () => {
    rmSync(path.join(root, 'crawler', 'inner', 'module.ts'));
    at(path.join('crawler', 'inner'), LATER);
    expect(freshCompiledEntry(root)).toBeNull();
  });

  it('is not when a source folder is missing', () => {
    rmSync(path.join(root, 'web'), { recursive: true });
    expect(freshCompiledEntry(root)).toBeNull();
  });

  it('is not once package.json or a tsconfig changes', () => {
    at('tsconfig.build.json', LATER);
    expect(freshCompiledEntry(root)).toBeNull();
  });
});
