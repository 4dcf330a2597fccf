import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive, type Archive } from '../../storage/index.js';
import { openTestArchive } from './archive.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/wdtk-archive.js ...`, or another entry such as a compiled build's) as a child process. */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  entry = 'bin/wdtk-archive.js',
): { child: ReturnType<typeof spawn>; done: Promise<CliResult> } {
  return startNode([entry, ...args], env);
}

/** Runs a snippet of the project's TypeScript in a process of its own (through tsx, from the repository root). */
export const runScript = (script: string): Promise<CliResult> => startNode(['--import', 'tsx', '--eval', script], {}).done;

function startNode(nodeArgs: string[], env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export interface ChildArchive {
  /** Global CLI arguments and environment that point a child process at this archive. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Opens the archive in this process (once no child holds an embedded one) and runs `use`. */
  inspect<T>(use: (archive: Archive) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

/**
 * An archive a child CLI process can open. Embedded: a temp directory (PGlite locks it to one
 * process at a time). With DATABASE_URL / S3_ENDPOINT: a fresh database and bucket on those servers.
 */
export async function openChildArchive(): Promise<ChildArchive> {
  if (!process.env['DATABASE_URL']) {
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-archive-'));
    return {
      args: ['--archive', archiveDir],
      env: { DATABASE_URL: '', S3_ENDPOINT: '' },
      async inspect(use) {
        const archive = await openArchive({ archiveDir });
        try {
          return await use(archive);
        } finally {
          await archive.close();
        }
      },
      cleanup: () => rm(archiveDir, { recursive: true, force: true }),
    };
  }
  const test = await openTestArchive();
  const { config } = test.archive;
  return {
    // The test archive's own directory: without S3 its blobs are files there, and the child must write where inspect reads.
    args: ['--archive', config.archiveDir],
    env: { DATABASE_URL: config.databaseUrl, ...(config.s3 ? { S3_BUCKET: config.s3.bucket } : {}) },
    inspect: (use) => use(test.archive),
    cleanup: () => test.cleanup(),
  };
}
