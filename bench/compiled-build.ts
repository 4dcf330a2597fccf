import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let built: string | undefined;

/** A fresh build of the project (scripts/build.mjs) in a cache folder of its own, made once per bench process. */
export function compiledBuild(): string {
  if (built) return built;
  const outDir = path.join(repoRoot, 'node_modules', '.cache', 'wdtk-bench-build');
  const result = spawnSync(process.execPath, ['scripts/build.mjs', outDir], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed: ${result.stdout}${result.stderr}`);
  built = outDir;
  return outDir;
}
