import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import robotsParserCjs from 'robots-parser';
import { sql } from 'drizzle-orm';
import { ROBOTS_TXT, type GroundTruth, type RequestLogEntry } from '../../fixtures/site/index.js';
import { openArchive, type Archive } from '../../storage/index.js';
import { openTestArchive } from '../helpers/archive.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// robots-parser is CommonJS typed as an ES default export; at run time the import is the function itself.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

const squash = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

/**
 * Everything that differs between the archive and the simulator's ground truth, as readable lines:
 * requests (by remote id), their state, events, and attachments with sha256. Empty when they agree.
 */
export async function differencesFromTruth(archive: Archive, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  const archived = new Map<number, string>();
  for await (const row of archive.exportRows({})) if (row.kind === 'request') archived.set(row.remoteId, row.urlTitle);
  const expected = new Set(truth.requests.map((r) => r.id));
  for (const id of archived.keys()) if (!expected.has(id)) problems.push(`request ${id} (${archived.get(id)}) is archived but not public`);

  for (const truthRequest of truth.requests) {
    const where = `request ${truthRequest.id} (${truthRequest.urlTitle})`;
    if (!archived.has(truthRequest.id)) {
      problems.push(`${where} is missing`);
      continue;
    }
    const stored = await archive.getRequest(truthRequest.urlTitle);
    if (!stored || stored.remoteId !== truthRequest.id) {
      problems.push(`${where} is not found under its slug`);
      continue;
    }
    if (stored.title !== truthRequest.title) problems.push(`${where}: title ${JSON.stringify(stored.title)}`);
    if (stored.status !== truthRequest.status) problems.push(`${where}: status ${stored.status}, expected ${truthRequest.status}`);
    if (stored.describedState !== truthRequest.describedState) problems.push(`${where}: described_state ${stored.describedState}`);
    if (stored.authority.urlName !== truthRequest.authority.urlName) problems.push(`${where}: authority ${stored.authority.urlName}`);
    if (stored.prominence !== truthRequest.prominence) problems.push(`${where}: prominence ${stored.prominence}`);

    // Hidden annotations are not rendered at all, so nobody can archive them.
    const truthEvents = truthRequest.events.filter((e) => !(e.kind === 'comment' && e.hidden));
    const storedEvents = new Map(stored.events.map((e) => [`${e.kind}:${e.messageId}`, e]));
    if (storedEvents.size !== new Set(truthEvents.map((e) => `${e.kind}:${e.id}`)).size) {
      problems.push(`${where}: ${storedEvents.size} events stored, ${truthEvents.length} expected`);
    }
    for (const event of truthEvents) {
      const storedEvent = storedEvents.get(`${event.kind}:${event.id}`);
      if (!storedEvent) {
        problems.push(`${where}: ${event.kind} ${event.id} missing`);
        continue;
      }
      if (storedEvent.hidden !== event.hidden) problems.push(`${where}: ${event.kind} ${event.id} hidden=${storedEvent.hidden}`);
      if (!event.hidden && squash(storedEvent.text) !== squash(event.text)) problems.push(`${where}: ${event.kind} ${event.id} text differs`);
      if (event.kind !== 'incoming' || event.hidden) continue;
      const withheld = event.attachments.filter((a) => a.hidden).length;
      const storedWithheld = storedEvent.attachments.filter((a) => a.hidden).length;
      if (storedWithheld !== withheld) problems.push(`${where}: message ${event.id} has ${storedWithheld} withheld attachments, expected ${withheld}`);
      if (storedEvent.attachments.length !== event.attachments.length) {
        problems.push(`${where}: message ${event.id} has ${storedEvent.attachments.length} attachments, expected ${event.attachments.length}`);
      }
      for (const attachment of event.attachments.filter((a) => !a.hidden)) {
        const storedAttachment = storedEvent.attachments.find((a) => a.part === attachment.part);
        const label = `${where}: attachment ${event.id}/${attachment.part} (${attachment.filename})`;
        if (!storedAttachment) problems.push(`${label} missing`);
        else if (storedAttachment.sha256 !== attachment.sha256) problems.push(`${label} sha256 ${storedAttachment.sha256}, expected ${attachment.sha256}`);
        else if (storedAttachment.size !== attachment.size || storedAttachment.hidden || storedAttachment.filename !== attachment.filename) {
          problems.push(`${label} stored as ${JSON.stringify({ size: storedAttachment.size, hidden: storedAttachment.hidden, filename: storedAttachment.filename })}`);
        }
      }
    }
  }
  return problems;
}

/** Log entries whose path robots.txt forbids to our user agent. */
export function robotsViolations(log: RequestLogEntry[], base: string): string[] {
  const robots = robotsParser(`${base}/robots.txt`, ROBOTS_TXT);
  return log.filter((entry) => robots.isAllowed(`${base}${entry.path}`, entry.userAgent) === false).map((entry) => entry.path);
}

/** Milliseconds between consecutive requests as the site received them. */
export function requestGaps(log: RequestLogEntry[]): number[] {
  return log.slice(1).map((entry, i) => entry.time - log[i]!.time);
}

export const isAttachmentPath = (path: string) => /^\/request\/[^/]+\/response\/\d+\/attach\//.test(path);
export const isThreadPagePath = (path: string) => /^\/request\/[^/.?]+(\?|$)/.test(path);

/** Rows that point nowhere or that nothing points to, and blob rows without their object. */
export async function integrityProblems(archive: Archive): Promise<string[]> {
  const rows = async (query: ReturnType<typeof sql>) => ((await archive.db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const problems: string[] = [];
  const orphans = await rows(sql`
    select b.sha256 from blobs b
    where not exists (select 1 from attachments a where a.sha256 = b.sha256)
      and not exists (select 1 from captures c where c.sha256 = b.sha256 or c.snapshot_pdf_sha256 = b.sha256 or c.snapshot_png_sha256 = b.sha256)`);
  for (const row of orphans) problems.push(`orphan blob ${String(row['sha256'])}`);
  const duplicates = await rows(sql`
    select request_id, incoming_message_id, part, count(*) as n from attachments
    group by request_id, incoming_message_id, part having count(*) > 1`);
  for (const row of duplicates) problems.push(`duplicate attachment row ${JSON.stringify(row)}`);
  const report = await archive.verify();
  for (const sha of report.missing) problems.push(`blob ${sha} has no stored object`);
  for (const changed of report.changed) problems.push(`blob ${changed.sha256} changed`);
  return problems;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/wdtk-archive.js ...`) as a child process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ReturnType<typeof spawn>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['bin/wdtk-archive.js', ...args], {
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
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-cli-archive-'));
  if (!process.env['DATABASE_URL']) {
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
    args: ['--archive', archiveDir],
    env: { DATABASE_URL: config.databaseUrl, ...(config.s3 ? { S3_BUCKET: config.s3.bucket } : {}) },
    inspect: (use) => use(test.archive),
    async cleanup() {
      await test.cleanup();
      await rm(archiveDir, { recursive: true, force: true });
    },
  };
}
