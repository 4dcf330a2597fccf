// What scripts/build.mjs compiles, and whether its build in dist/ is still that of the sources beside it.
// bin/wdtk-archive.js asks at every start, so this stays small: Node's own modules, a stat per source file.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The folders tsconfig.build.json compiles; everything in them that is not TypeScript is copied as is. */
export const RUNTIME_FOLDERS = ['cli', 'crawler', 'parsers', 'storage', 'migrations', 'web', 'fixtures'];
/** Files outside those folders that change what a build holds. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Written by the build, with its start time as modification time. */
export const BUILD_STAMP = 'BUILT';

/**
 * The newest modification time among the sources, their folders (adding or removing a file changes its folder's) and
 * the build inputs.
 */
function newestSourceMs(root) {
  let newest = 0;
  const visit = (file) => {
    newest = Math.max(newest, statSync(file).mtimeMs);
  };
  for (const input of BUILD_INPUTS) visit(path.join(root, input));
  for (const folder of RUNTIME_FOLDERS) {
    visit(path.join(root, folder));
    for (const entry of readdirSync(path.join(root, folder), { recursive: true })) visit(path.join(root, folder, entry));
  }
  return newest;
}

/**
 * The compiled CLI's entry in `root`/dist when a build is there and nothing it was built from has changed since it
 * started; otherwise null.
 */
export function freshCompiledEntry(root) {
  try {
    const builtMs = statSync(path.join(root, 'dist', BUILD_STAMP)).mtimeMs;
    return newestSourceMs(root) <= builtMs ? path.join(root, 'dist', 'cli', 'main.js') : null;
  } catch {
    // No build, or a source folder that cannot be read: the sources run, and say what is missing if it matters.
    return null;
  }
}
