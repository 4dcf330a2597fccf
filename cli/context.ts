import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import type { Archive, OpenArchiveOptions } from '../storage/index.js';

/** Global options shared by every command (DESIGN.md, "Command line"). */
export interface GlobalOptions {
  archive?: string;
  site: string;
  json?: boolean;
  verbose?: boolean;
}

export const DEFAULT_SITE = 'https://www.whatdotheyknow.com';

/** Every environment variable the program reads; README's configuration table lists the same names. */
export const ENVIRONMENT = {
  ARCHIVE_DIR: 'archive directory for the embedded default (PGlite index in pg/, originals in blobs/); default ./archive-data',
  DATABASE_URL: 'postgres://… of a PostgreSQL 15+ server for the index, instead of PGlite',
  S3_ENDPOINT: 'http(s)://host:port of an S3-compatible store (MinIO, AWS S3) for the originals, instead of files',
  S3_BUCKET: 'bucket for the originals (created if missing)',
  S3_ACCESS_KEY: 'S3 access key',
  S3_SECRET_KEY: 'S3 secret key',
  S3_REGION: 'S3 region; default us-east-1',
  WDTK_SITE: 'base URL of the Alaveteli site; default https://www.whatdotheyknow.com',
  WDTK_CONTACT: 'email or URL put in the User-Agent; required to crawl any non-local site',
  WEB_TOKEN: 'when set, every web and API route requires this token',
  WEB_PUBLIC_URL: 'the web UI\'s root address as its readers reach it (https://archive.example.org behind a proxy), for the absolute links of its feeds; default the address each request came to',
} as const;

/** How a command opens the archive. */
export interface ArchiveUse extends OpenArchiveOptions {
  /**
   * Create the embedded archive where there is none (crawl, work, db migrate). Other commands only read or change what
   * is there, and fail instead: on a mistyped --archive, a new empty archive would make them report success on nothing.
   * A database server (DATABASE_URL) is used as it is.
   * @default false
   */
  create?: boolean;
}

/**
 * How a crawl or an extraction worker opens the archive: one is created if missing. They write far more than they read
 * back: their time did not move between 8 and 32 MB of embedded buffer cache (bench/README.md, parts 23 and 28), and
 * 8 MB keeps a crawl's process about 8 MiB smaller. Commands that search keep the default.
 */
export const FOR_WRITING: ArchiveUse = {
  create: true,
  embeddedSharedBuffersMb: 8,
  // On a database server. Their statements take milliseconds, the heaviest (a frontier claim, a long document's pages
  // and their search vector) seconds on a large archive: five minutes leaves a busy server ample room, and a server
  // that hangs ends the run, and its lock, within a few limits instead of never (then a schedule's next tick starts).
  timeouts: { database: { statementMs: 5 * 60_000 } },
};

/**
 * How `serve` opens the archive. A page or an API call waits a minute at most for a database statement on a server
 * (a search counts 10,000 matches at most, an export reads 500 rows at a time: seconds on a large archive). Past it, on
 * a server that hangs, the visitor gets a 503 rather than an answer that never comes: a reverse proxy in front (nginx's
 * default) gives up at 60 s anyway. Other commands that read (search, export, verify) may rightly run long, and have no
 * statement limit.
 */
export const FOR_SERVING: ArchiveUse = { timeouts: { database: { statementMs: 60_000 } } };

/** Opens the archive named by --archive / ARCHIVE_DIR / DATABASE_URL / S3_*, runs `use`, always closes. */
export async function withArchive<T>(globals: GlobalOptions, use: (archive: Archive) => Promise<T>, options: ArchiveUse = {}): Promise<T> {
  // Loaded on use: the storage stack (PGlite, drivers) is heavy and `--help` should not wait for it.
  const { configFromEnv, holdsEmbeddedArchive, openArchive } = await import('../storage/index.js');
  const config = configFromEnv(process.env, { archiveDir: globals.archive });
  const { create = false, ...open } = options;
  if (!create && !config.databaseUrl && !holdsEmbeddedArchive(config.archiveDir)) {
    const why = existsSync(config.archiveDir) ? 'it holds no archive database' : 'no such directory';
    throw new CliError(`no archive at ${config.archiveDir} (${why}): pass --archive or set ARCHIVE_DIR, or start one with \`wdtk-archive crawl\``);
  }
  const archive = await openArchive(config, open);
  try {
    return await use(archive);
  } finally {
    await archive.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Resolves on the first Ctrl-C or SIGTERM: long-running commands (serve, simulate) then shut down cleanly. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
