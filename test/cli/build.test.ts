import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { BUILD_STAMP, RUNTIME_FOLDERS } from '../../scripts/compiled.mjs';
import { pgliteVersion } from '../../storage/db/connect.js';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../storage/index.js';
import { openChildArchive, repoRoot, startCli, type ChildArchive } from '../helpers/cli.js';

// A copy of the project, built in place: inside node_modules/.cache so that the compiled files and tsx resolve their
// packages from the project's node_modules.
const project = path.join(repoRoot, 'node_modules', '.cache', `wdtk-build-test-${process.pid}`);
const outDir = path.join(project, 'dist');
const entry = path.join(outDir, 'cli', 'main.js');
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

async function systemIdentifier(db: EmbeddedDatabase): Promise<string> {
  return (await db.query<{ id: string }>('select system_identifier::text as id from pg_control_system()')).rows[0]!.id;
}

describe('the compiled build (scripts/build.mjs), as the Docker image runs it', () => {
  let sim: Simulator;
  let target: ChildArchive;
  beforeAll(async () => {
    for (const item of ['bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', ...RUNTIME_FOLDERS]) {
      cpSync(path.join(repoRoot, item), path.join(project, item), { recursive: true });
    }
    const built = spawnSync(process.execPath, [path.join(project, 'scripts', 'build.mjs')], { cwd: project, encoding: 'utf8' });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
    sim = await startSimulator({ requests: 30, seed: 5, maskingMs: 0 });
    target = await openChildArchive();
  }, 240_000);
  afterAll(async () => {
    await target?.cleanup();
    await sim?.close();
    await rm(project, { recursive: true, force: true });
  });

  it('holds no TypeScript and reports the package version', async () => {
    const listing = spawnSync('find', [outDir, '-name', '*.ts', '-not', '-name', '*.d.ts'], { encoding: 'utf8' });
    expect(listing.stdout).toBe('');
    const result = await startCli(['--version'], {}, entry).done;
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('migrates, crawls a thread with a PDF, and extracts its text in a worker, all from JavaScript', { timeout: 180_000 }, async () => {
    const withPdf = sim.groundTruth().requests.find(
      (request) =>
        request.prominence === 'normal' &&
        request.events.some((event) => !event.hidden && event.attachments.some((a) => !a.hidden && a.contentType === 'application/pdf')),
    );
    expect(withPdf).toBeDefined();
    const pdf = withPdf!.events.flatMap((event) => event.attachments).find((a) => !a.hidden && a.contentType === 'application/pdf')!;

    const crawl = await startCli([...target.args, '--site', sim.url, 'crawl', '--request', withPdf!.urlTitle, '--rate', '100'], target.env, entry).done;
    expect(crawl.code, crawl.stderr).toBe(0);

    const runs = await startCli([...target.args, '--json', 'runs'], target.env, entry).done;
    expect(runs.code, runs.stderr).toBe(0);
    const [run] = JSON.parse(runs.stdout) as { outcome: string; counters: { pages: number; attachments: number } }[];
    expect(run).toMatchObject({ outcome: 'ok', counters: { pages: 1 } });
    expect(run!.counters.attachments).toBeGreaterThanOrEqual(1);

    const [blob] = await target.inspect(async (archive) => {
      const result = await archive.db.execute(
        sql`select (select count(*)::int from document_pages where sha256 = ${pdf.sha256}) as pages,
                   (select extraction_status from blobs where sha256 = ${pdf.sha256}) as status`,
      );
      return (result as unknown as { rows: { pages: number; status: string | null }[] }).rows;
    });
    expect(blob).toMatchObject({ status: 'done' });
    expect(blob!.pages).toBeGreaterThan(0);
  });

  it('keeps initdb for new embedded archives packed, and a new archive is that template unpacked', async () => {
    const template = path.join(outDir, 'storage', 'db', `initdb-pglite-${pgliteVersion()}.tar.gz`);
    const fromTemplate = await openEmbeddedDatabase(undefined, { dump: readFileSync(template) });
    const templateId = await systemIdentifier(fromTemplate).finally(() => fromTemplate.close());
    // initdb gives each database an identifier of its own; an unpacked template keeps the template's.
    const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-build-template-'));
    try {
      const created = await startCli(['--archive', archiveDir, 'db', 'migrate'], { DATABASE_URL: '', S3_ENDPOINT: '' }, entry).done;
      expect(created.code, created.stderr).toBe(0);
      const archived = await openEmbeddedDatabase(path.join(archiveDir, 'pg'));
      expect(await systemIdentifier(archived).finally(() => archived.close())).toBe(templateId);
    } finally {
      await rm(archiveDir, { recursive: true, force: true });
    }
  });

  it('is what bin/wdtk-archive.js runs until a source changes, and then the sources run', { timeout: 60_000 }, async () => {
    const bin = path.join(project, 'bin', 'wdtk-archive.js');
    // The sources' package.json says another version, dated before the build: the version printed names the code run.
    const sourcesPackage = path.join(project, 'package.json');
    writeFileSync(sourcesPackage, JSON.stringify({ ...JSON.parse(readFileSync(sourcesPackage, 'utf8')), version: `${version}-sources` }));
    const beforeBuild = new Date(statSync(path.join(outDir, BUILD_STAMP)).mtimeMs - 1000);
    utimesSync(sourcesPackage, beforeBuild, beforeBuild);

    const compiled = await startCli(['--version'], {}, bin).done;
    expect(compiled.stdout.trim(), compiled.stderr).toBe(version);

    const saved = new Date();
    utimesSync(path.join(project, 'crawler', 'run.ts'), saved, saved);
    const sources = await startCli(['--version'], {}, bin).done;
    expect(sources.stdout.trim(), sources.stderr).toBe(`${version}-sources`);
  });
});
