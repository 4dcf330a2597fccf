import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { AttachmentStore } from '../../fixtures/site/attachment-store.js';
import { generateDocument } from '../../fixtures/site/documents/index.js';
import { SiteWorld } from '../../fixtures/site/generator.js';
import { startSimulator, type Simulator } from '../../fixtures/site/index.js';
import { isPublic } from '../../fixtures/site/model.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { openChildArchive, startCli } from './helpers.js';

const SEED = 21;
const SIZE = 24;
const START = new Date('2026-06-01T09:00:00Z');

/**
 * A phrase found on one later page (not the first) of a generated multi-page PDF of the simulated
 * site, and on no other page of it: taken from the document generator's own record of its text, not
 * from our parsers.
 */
function phraseOnALaterPage(): { phrase: string; sha256: string; page: number } {
  const store = new AttachmentStore();
  const world = new SiteWorld(SEED, SIZE, START, (kind, seed) => store.extensionOf(kind, seed));
  for (const request of world.data.requests.filter(isPublic)) {
    const authority = world.authoritiesById.get(request.authorityId)!;
    for (const message of request.incoming.values()) {
      if (message.prominence !== 'normal') continue;
      for (const attachment of message.attachments) {
        if (attachment.kind !== 'pdf' || attachment.prominence !== 'normal') continue;
        const document = generateDocument('pdf', attachment.seed, { authority: authority.name });
        const pages = document.pages.map((text) => ` ${text.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `);
        for (let page = 2; page <= pages.length; page++) {
          const words = pages[page - 1]!.trim().split(' ');
          for (let i = 0; i + 4 <= words.length; i++) {
            const run = words.slice(i, i + 4);
            if (run.some((word) => !/^[a-z]+$/.test(word)) || run.filter((word) => word.length >= 5).length < 2) continue;
            const phrase = run.join(' ');
            if (pages.every((text, n) => n === page - 1 || !text.includes(` ${phrase} `))) {
              return { phrase, sha256: createHash('sha256').update(document.bytes).digest('hex'), page };
            }
          }
        }
      }
    }
  }
  throw new Error('no later page of a generated PDF has a phrase of its own: pick another seed');
}

async function pagesFound(archive: Archive, phrase: string, sha256: string): Promise<number[]> {
  const result = await archive.search({ text: `"${phrase}"`, limit: 100 });
  return result.hits.filter((hit) => hit.attachment?.sha256 === sha256).map((hit) => hit.attachment!.page);
}

describe('text extraction', () => {
  let sim: Simulator;
  const target = phraseOnALaterPage();
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    sim = await startSimulator({ requests: SIZE, seed: SEED, start: START, maskingMs: 200 });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await sim?.close();
  });

  it('runs in the crawl process, and a search finds a document on the right page', { timeout: 180_000 }, async () => {
    const test = await openTestArchive();
    cleanups.push(() => test.cleanup());
    const summary = await runCrawl(test.archive, { site: sim.url, scope: { all: true }, ratePerSecond: 100, maskingRetryMs: 250 });
    expect(summary.outcome).toBe('ok');
    expect(summary.extraction?.completed).toBeGreaterThan(0);
    expect(await test.archive.jobs.pending()).toBe(0);
    expect(await pagesFound(test.archive, target.phrase, target.sha256)).toEqual([target.page]);
  });

  it('is left to `work` processes with --no-extract, which drain the queue', { timeout: 240_000 }, async () => {
    const archive = await openChildArchive();
    cleanups.push(() => archive.cleanup());
    const crawl = await startCli([...archive.args, '--site', sim.url, 'crawl', '--all', '--rate', '100', '--no-extract'], archive.env).done;
    expect(crawl.code).toBe(0);
    expect(crawl.stdout).not.toMatch(/documents extracted/);
    const queued = await archive.inspect((a) => a.jobs.pending());
    expect(queued).toBeGreaterThan(0);

    const work = await startCli([...archive.args, 'work'], archive.env).done;
    expect(work.code).toBe(0);
    const extracted = Number(/^extracted (\d+) documents?, (\d+) failed$/m.exec(work.stdout)?.[1]);
    expect(extracted).toBeGreaterThan(0);
    await archive.inspect(async (a) => {
      expect(await a.jobs.pending()).toBe(0);
      expect(await pagesFound(a, target.phrase, target.sha256)).toEqual([target.page]);
    });
  });
});
