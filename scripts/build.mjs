#!/usr/bin/env node
// Compiles the sources to JavaScript, with the files they read at run time (migrations, simulator data,
// the worker entry), so a deployed archiver starts without tsx: faster, and about 60 MiB smaller.
//   node scripts/build.mjs [outDir]    (default: dist; `npm ci` runs it as the prepare script)
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_STAMP, RUNTIME_FOLDERS } from './compiled.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const startedAt = new Date();

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch (error) {
  // `npm ci --omit=dev` runs the prepare script without the compiler: the CLI then runs the sources through tsx.
  if (process.env.npm_lifecycle_event !== 'prepare') throw error;
  console.log('no TypeScript compiler installed (dev dependencies left out): not built; bin/wdtk-archive.js runs the sources');
  process.exit(0);
}
rmSync(outDir, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
for (const folder of RUNTIME_FOLDERS) {
  cpSync(path.join(root, folder), path.join(outDir, folder), { recursive: true, filter: (source) => !source.endsWith('.ts') });
}
// "type": "module" for the compiled files, and the version the CLI and the user agent report.
copyFileSync(path.join(root, 'package.json'), path.join(outDir, 'package.json'));
// A new embedded archive unpacks this instead of running initdb, which takes more than twice the memory
// (storage/db/connect.ts). Without it the build still works, and new archives run initdb.
try {
  const { dataDirTemplate, writeDataDirTemplate } = await import(pathToFileURL(path.join(outDir, 'storage', 'db', 'connect.js')).href);
  await writeDataDirTemplate(dataDirTemplate());
} catch (error) {
  console.warn(`no template for new embedded archives (they will run initdb): ${error instanceof Error ? error.message : error}`);
}
// Dated when the build started: a source saved while it ran is newer, and bin/wdtk-archive.js then runs the sources.
const stamp = path.join(outDir, BUILD_STAMP);
writeFileSync(stamp, '');
utimesSync(stamp, startedAt, startedAt);
console.log(`built ${path.relative(process.cwd(), outDir) || '.'}`);
