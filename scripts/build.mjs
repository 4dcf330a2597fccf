#!/usr/bin/env node
// Compiles the sources to JavaScript, with the files they read at run time (migrations, simulator data,
// the worker entry), so a deployed archiver starts without tsx: faster, and about 50 MiB smaller.
//   node scripts/build.mjs [outDir]    (default: dist)
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
// The folders tsconfig.build.json compiles; everything in them that is not TypeScript is copied as is.
const RUNTIME_FOLDERS = ['cli', 'crawler', 'parsers', 'storage', 'migrations', 'web', 'fixtures'];

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
for (const folder of RUNTIME_FOLDERS) {
  cpSync(path.join(root, folder), path.join(outDir, folder), { recursive: true, filter: (source) => !source.endsWith('.ts') });
}
// "type": "module" for the compiled files, and the version the CLI and the user agent report.
copyFileSync(path.join(root, 'package.json'), path.join(outDir, 'package.json'));
console.log(`built ${path.relative(process.cwd(), outDir) || '.'}`);
