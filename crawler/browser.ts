import { text as readText } from 'node:stream/consumers';
import { and, desc, eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { loadHtml } from '../parsers/index.js';
import { OriginalsInUseError, schema, type Archive } from '../storage/index.js';

const { captures } = schema;

/** Debian's chromium; playwright's own browser download cannot run here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Defence in depth behind the request router: no host name resolves, so even a request
  // Chromium makes outside the page (prefetch, preconnect) cannot reach the site.
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

export interface SnapshotterOptions {
  /** @default '/usr/bin/chromium' */
  executablePath?: string;
  /** Longest wait for one page to render, in milliseconds. @default 30000 */
  timeoutMs?: number;
}

export interface SnapshotResult {
  captureId: number;
  pdfSha256: string;
  pngSha256: string;
  /** Every request the page tried to make while rendering; each was aborted before leaving the browser. */
  blockedRequests: string[];
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/**
 * Renders stored page captures to PDF and PNG with the network blocked, keeping one browser open
 * for many captures. The stored HTML is what the site served when it was fetched: rendering it must
 * not fetch anything now, or the snapshot would mix the past with the present (and hit the site).
 */
export class Snapshotter {
  /** The launch, shared by snapshots that start before it is done (a crawl renders from several workers). */
  private browser: Promise<Browser> | null = null;
  private readonly executablePath: string;
  private readonly timeoutMs: number;

  constructor(options: SnapshotterOptions = {}) {
    this.executablePath = options.executablePath ?? CHROMIUM_PATH;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private async open(): Promise<Browser> {
    // playwright-core loads with the first snapshot: a crawl without --snapshots never pays for it.
    this.browser ??= import('playwright-core')
      .then(({ chromium }) => chromium.launch({ executablePath: this.executablePath, args: CHROMIUM_ARGS }))
      .catch((error: unknown) => {
        // A launch that failed is tried again by the next snapshot.
        this.browser = null;
        throw error;
      });
    return this.browser;
  }

  /** Renders one capture, stores the PDF and PNG as blobs and links them from the capture row. */
  async snapshot(archive: Archive, captureId: number): Promise<SnapshotResult> {
    const [capture] = await archive.db.select().from(captures).where(eq(captures.id, captureId)).limit(1);
    if (!capture) throw new SnapshotError(`capture ${captureId} does not exist`);
    if (!capture.sha256) throw new SnapshotError(`capture ${captureId} (${capture.url}) has no stored body to render`);
    const stored = await readText(await archive.blobs.get(capture.sha256));
    const rendered = await this.render(withBase(stored, capture.url));

    const pdf = await archive.putBlob(rendered.pdf, { contentType: 'application/pdf', sniffedType: 'application/pdf' });
    const png = await archive.putBlob(rendered.png, { contentType: 'image/png', sniffedType: 'image/png' });
    await archive.db
      .update(captures)
      .set({ snapshotPdfSha256: pdf.sha256, snapshotPngSha256: png.sha256 })
      .where(eq(captures.id, captureId));
    return { captureId, pdfSha256: pdf.sha256, pngSha256: png.sha256, blockedRequests: rendered.blockedRequests };
  }

  private async render(html: string): Promise<{ pdf: Buffer; png: Buffer; blockedRequests: string[] }> {
    const browser = await this.open();
    // No JavaScript: an archived page's scripts would only try to phone home or rewrite what was captured.
    const context = await browser.newContext({ javaScriptEnabled: false, serviceWorkers: 'block' });
    const blockedRequests: string[] = [];
    try {
      await context.route('**/*', async (route) => {
        blockedRequests.push(route.request().url());
        await route.abort('blockedbyclient');
      });
      await context.routeWebSocket(/.*/, (ws) => {
        blockedRequests.push(ws.url());
        ws.close();
      });
      const page = await context.newPage();
      page.setDefaultTimeout(this.timeoutMs);
      await page.setContent(html, { waitUntil: 'load', timeout: this.timeoutMs });
      await page.emulateMedia({ media: 'screen' });
      const png = await page.screenshot({ fullPage: true, type: 'png' });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      return { pdf, png, blockedRequests };
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    const launch = this.browser;
    this.browser = null;
    const browser = await launch?.catch(() => null);
    await browser?.close();
  }
}

/** Puts a <base href> of the original URL first in <head>, so relative links in the snapshot point at the site. */
function withBase(html: string, url: string): string {
  const $ = loadHtml(html);
  $('base').remove();
  $('head').prepend($('<base>').attr('href', url));
  return $.html();
}

/** The most recent page capture of a request, the one a snapshot of "the thread as it looked" renders. */
export async function latestPageCapture(archive: Archive, requestId: number): Promise<number | null> {
  const [row] = await archive.db
    .select({ id: captures.id })
    .from(captures)
    .where(and(eq(captures.requestId, requestId), eq(captures.kind, 'page')))
    .orderBy(desc(captures.fetchedAt), desc(captures.id))
    .limit(1);
  return row?.id ?? null;
}

/**
 * One snapshot with a browser of its own, closed afterwards. It stores originals, so it holds them for writing, as a
 * crawl does (whose snapshots are covered by the crawl's hold).
 */
export async function snapshotCapture(
  archive: Archive,
  captureId: number,
  options?: SnapshotterOptions,
): Promise<SnapshotResult> {
  const release = await archive.lockOriginals('write');
  if (!release) throw new OriginalsInUseError('the snapshot', 'write');
  const snapshotter = new Snapshotter(options);
  try {
    return await snapshotter.snapshot(archive, captureId);
  } finally {
    await snapshotter.close();
    await release();
  }
}
