import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { openChildArchive, repoRoot, startCli, type ChildArchive } from '../helpers/cli.js';

// Inside node_modules/.cache so the compiled files resolve their packages from the project's node_modules.
const outDir = path.join(repoRoot, 'node_modules', '.cache', `wdtk-build-test-${process.pid}`);
const entry = path.join(outDir, 'cli', 'main.js');
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('the compiled build (scripts/build.mjs), as the Docker image runs it', () => {
  let sim: Simulator;
  let target: ChildArchive;
  beforeAll(async () => {
    const built = spawnSync(process.execPath, ['scripts/build.mjs', outDir], { cwd: repoRoot, encoding: 'utf8' });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
    sim = await startSimulator({ requests: 30, seed: 5, maskingMs: 0 });
    target = await openChildArchive();
  }, 240_000);
  afterAll(async () => {
    await target?.cleanup();
    await sim?.close();
    await rm(outDir, { recursive: true, force: true });
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
});
