import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../storage/index.js';
import { serve, type RunningServer } from '../../web/index.js';
import { openTestArchive } from '../helpers/archive.js';
import { seedArchive, THREAD, type Seeded } from '../web/fixture.js';

let archive: Archive;
let cleanup: () => Promise<void>;
let seeded: Seeded;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  ({ archive, cleanup } = await openTestArchive());
  seeded = await seedArchive(archive);
  server = await serve(archive, { port: 0 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await cleanup?.();
});

describe('a newcomer in a real browser', () => {
  it('goes from a search to a request, to the highlighted text of a document, downloads the original and reads its provenance', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const blockedOrigins: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(server.url)) blockedOrigins.push(req.url());
    });
    const cspViolations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });

    await page.goto(`${server.url}/`);
    await page.getByRole('main').getByLabel('Words').fill('housing repairs');
    await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.url()).toContain('/search?q=housing+repairs');
    await expect.poll(() => page.locator('ol.hits mark').first().textContent()).toMatch(/housing|repairs/i);

    await page.locator('ol.hits li.request').getByRole('link', { name: THREAD.title }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe(THREAD.title);
    expect(await page.locator('details.quoted').count()).toBeGreaterThan(0);
    expect(await page.locator('details.quoted').first().getAttribute('open')).toBeNull();

    await page.getByRole('link', { name: 'repairs backlog.pdf' }).first().click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('repairs backlog.pdf');
    await page.getByLabel('Find in this document').fill('repairs');
    await page.getByRole('button', { name: 'Find in text' }).click();
    const highlighted = page.locator('#page-2 mark');
    await expect.poll(() => highlighted.first().textContent()).toBe('repairs');
    expect(await page.locator('#page-2').isVisible()).toBe(true);

    const shown = (await page.locator('dd.hash').first().textContent())?.trim();
    expect(shown).toBe(seeded.pdf.sha256);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the original' }).click()]);
    expect(download.suggestedFilename()).toBe('repairs backlog.pdf');
    const bytes = await readFile(await download.path());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shown);
    expect(bytes.equals(seeded.pdf.bytes)).toBe(true);

    await page.getByRole('link', { name: 'provenance' }).click();
    const provenance = page.locator('#provenance + dl');
    expect(await provenance.textContent()).toContain(`/request/${THREAD.remoteId}/response/77/attach/2/repairs%20backlog.pdf`);
    expect(await provenance.textContent()).toContain('2024-03-02 10:00:00 UTC');
    expect(await page.locator('#sha256').textContent()).toBe(seeded.pdf.sha256);

    expect(blockedOrigins).toEqual([]);
    expect(cspViolations).toEqual([]);
    await context.close();
  });
});
