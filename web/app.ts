import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import {
  attachmentCitation,
  describeFailure,
  exemptionsCited,
  isStorageUnavailable,
  type Archive,
  type AttachmentCopies,
  type AttachmentCopy,
  type AttachmentDetail,
  type RequestDetail,
} from '../storage/index.js';
import { pageTexts } from './documents.js';
import { blobResponse } from './download.js';
import { exportStream, type ExportFormat } from './export.js';
import { ATOM_CONTENT_TYPE, atomFeed, FEED_SIZE } from './feed.js';
import { notFoundPage, page } from './layout.js';
import { openApiDocument } from './openapi.js';
import { BadQueryError, filtersFromParams, MAX_API_LIMIT, pagedQueryFromParams, PAGE_SIZE, positiveParam, textParam, timelinessViewFromParams } from './query.js';
import { readOnly, rejectTraversal, requireToken, securityHeaders } from './security.js';
import { STYLESHEET } from './style.js';
import { attachmentPage } from './views/attachment.js';
import { exemptionsPage } from './views/exemptions.js';
import { authorityPage, runsPage } from './views/lists.js';
import { removedPage, requestPage } from './views/request.js';
import { searchPage } from './views/search.js';
import { timelinessPage } from './views/timeliness.js';
import { attachmentGone, isWithheld, publicRequest, withholdsSnapshots } from './visibility.js';

export interface AppOptions {
  /** When set, every route requires this read token. */
  token?: string;
  /**
   * The root address readers reach the app at (https://archive.example.org), where it differs from the one requests
   * arrive at, as behind a proxy that ends TLS: feeds' links are absolute and must work from a reader. By default,
   * the origin each request came to.
   */
  publicUrl?: string;
}

// Path parameters are matched against these shapes, so anything else (a path, a dot-dot, markup) is a 404.
const SLUG = '[A-Za-z0-9_-]{1,200}';
const ATTACHMENT = '(?:[0-9]{1,12}|[0-9a-f]{64})';
const NUMBER = '[0-9]{1,12}';
/** What a client is told to wait while the archive's storage is unavailable. */
const STORAGE_RETRY_AFTER_S = 30;

function paramsOf(c: Context): Record<string, string | undefined> {
  return c.req.query();
}

function removedJson(c: Context, removedAt: Date | null, reason: string | null) {
  return c.json({ error: 'removed from the site', removedAt, reason }, 410);
}

async function authorityByUrlName(archive: Archive, urlName: string): Promise<{ urlName: string; name: string } | null> {
  const result = (await archive.db.execute(
    sql`select url_name, name from authorities where url_name = ${urlName} order by id limit 1`,
  )) as unknown as { rows: { url_name: string; name: string }[] };
  const row = result.rows[0];
  return row ? { urlName: row.url_name, name: row.name } : null;
}

/** A public copy as the API gives it: where it was released, without the visibility facts every public copy shares. */
function copyJson(copy: AttachmentCopy) {
  const { id, remoteId, urlTitle, title, authority } = copy.request;
  return { id: copy.id, filename: copy.filename, messageTime: copy.messageTime, request: { id, remoteId, urlTitle, title, authority } };
}

function attachmentJson(a: AttachmentDetail, copies: AttachmentCopies) {
  return {
    ...a,
    downloadUrl: a.sha256 ? `/attachment/${a.id}/download` : null,
    textUrl: `/api/attachment/${a.id}/text`,
    alsoReleasedIn: copies.copies.map(copyJson),
    alsoReleasedInMore: copies.more,
    citation: attachmentCitation(a),
  };
}

/**
 * A request the site keeps off its listings and search (backpage) is served by its link, as the site serves it, and
 * with the site's own X-Robots-Tag, so a public archive does not put it, or its attachments, before search engines
 * either. `setHeader` is the context's for a response it builds, the Response's own for one returned as it is.
 */
function keepOffSearchEngines(request: { prominence: string }, setHeader: (name: string, value: string) => void): void {
  if (request.prominence === 'backpage') setHeader('X-Robots-Tag', 'noindex');
}

/**
 * The web UI and JSON API over an open archive. Pages are rendered on the server with hono's escaping
 * html`` templates and work without JavaScript; originals are streamed from the blob store.
 */
export function createApp(archive: Archive, opts: AppOptions = {}): Hono {
  const app = new Hono();
  app.use('*', securityHeaders);
  app.use('*', readOnly);
  app.use('*', rejectTraversal);
  if (opts.token) app.use('*', requireToken(opts.token));

  app.onError((error, c) => {
    if (error instanceof BadQueryError) {
      return c.req.path.startsWith('/api/') ? c.json({ error: error.message }, 400) : c.html(page('Bad request', html`<h1>Bad request</h1><p>${error.message}</p>`), 400);
    }
    if (isStorageUnavailable(error)) {
      // The database or the object store is down or refusing: passing, and no fault of this request, so a client may
      // come back. One line, not a stack trace for every request while it lasts.
      console.error(`${c.req.method} ${c.req.path}: the archive's storage is unavailable: ${describeFailure(error)}`);
      c.header('Retry-After', String(STORAGE_RETRY_AFTER_S));
      return c.req.path.startsWith('/api/')
        ? c.json({ error: 'the archive is unavailable for a moment; try again shortly' }, 503)
        : c.html(page('Unavailable', html`<h1>The archive is unavailable for a moment</h1><p>Please try again shortly.</p>`), 503);
    }
    console.error(error);
    return c.req.path.startsWith('/api/')
      ? c.json({ error: 'internal error' }, 500)
      : c.html(page('Error', html`<h1>Something went wrong</h1><p>The archive could not answer this request.</p>`), 500);
  });
  app.notFound((c) => (c.req.path.startsWith('/api/') ? c.json({ error: 'not found' }, 404) : c.html(notFoundPage('Nothing is archived at this address.'), 404)));

  app.get('/static/style.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  const getRequest = async (slugOrId: string): Promise<RequestDetail | null> => archive.getRequest(slugOrId, { includeRemoved: true });
  const getAttachment = async (idOrSha: string): Promise<AttachmentDetail | null> => archive.getAttachment(idOrSha);
  // Only the copies the site shows and lists: a withheld one is left out before it is counted, so not even a count tells of it.
  const publicCopies = async (a: AttachmentDetail): Promise<AttachmentCopies> =>
    (await archive.attachmentCopies([a.id])).get(a.id) ?? { copies: [], more: 0 };

  // ---- pages ----
  const searchRoute = async (c: Context) => {
    const params = paramsOf(c);
    let paged;
    try {
      paged = pagedQueryFromParams(params, { maxLimit: PAGE_SIZE, offset: false });
    } catch (error) {
      if (error instanceof BadQueryError) return c.html(searchPage(params, null, { page: 1, limit: PAGE_SIZE }, error.message), 400);
      throw error;
    }
    const result = await archive.search(paged.query);
    // The exemption as its code is spelt, so the facet it selects shows as chosen and the links carry that spelling.
    return c.html(searchPage({ ...params, exemption: paged.query.exemption }, result, paged));
  };
  app.get('/', searchRoute);
  app.get('/search', searchRoute);

  // Following a search: its newest matches by when they entered the archive, for a feed reader to poll.
  app.get('/search.atom', async (c) => {
    const params = paramsOf(c);
    const query = filtersFromParams(params);
    const matches = await archive.newestMatches(query, FEED_SIZE);
    const feed = atomFeed(matches, { origin: new URL(opts.publicUrl ?? c.req.url).origin, params, query, generatedAt: new Date() });
    return c.body(feed, 200, { 'Content-Type': ATOM_CONTENT_TYPE });
  });

  app.get(`/request/:slug{${SLUG}}`, async (c) => {
    const request = await getRequest(c.req.param('slug'));
    if (!request) return c.html(notFoundPage('No archived request has this name or id.'), 404);
    if (request.removedAt) return c.html(removedPage(request), 410);
    keepOffSearchEngines(request, c.header);
    const shown = publicRequest(request);
    // One read for the thread: how many other public copies each attachment has.
    const copies = await archive.attachmentCopies(shown.attachments.filter((a) => !isWithheld(a)).map((a) => a.id));
    return c.html(requestPage(shown, copies));
  });

  app.get(`/attachment/:id{${ATTACHMENT}}`, async (c) => {
    const attachment = await getAttachment(c.req.param('id'));
    if (!attachment) return c.html(notFoundPage('No archived attachment has this id.'), 404);
    const gone = attachmentGone(attachment);
    if (gone) {
      const back = attachment.request.removedAt ? '' : html`<p><a href="/request/${encodeURIComponent(attachment.request.urlTitle)}">Back to the request</a></p>`;
      return c.html(page('No longer public', html`<h1>This attachment is no longer public</h1><p class="notice">${gone.reason ?? gone.error}.</p>${back}`), 410);
    }
    const query = textParam('q', c.req.query('q'))?.trim() || undefined;
    const pages = attachment.sha256 ? await pageTexts(archive, attachment.sha256, query) : [];
    keepOffSearchEngines(attachment.request, c.header);
    return c.html(attachmentPage(attachment, pages, query, await publicCopies(attachment)));
  });

  app.get(`/attachment/:id{${ATTACHMENT}}/download`, async (c) => {
    const attachment = await getAttachment(c.req.param('id'));
    if (!attachment?.sha256) return c.text('Not found', 404);
    const gone = attachmentGone(attachment);
    if (gone) return c.text(`Gone: ${gone.reason ?? gone.error}`, 410);
    const response = await blobResponse(archive, c.req.raw, {
      sha256: attachment.sha256,
      size: attachment.size ?? attachment.blob?.size ?? null,
      filename: attachment.filename ?? `attachment-${attachment.id}`,
      contentType: attachment.contentType ?? attachment.blob?.mime ?? null,
    });
    // A Response returned as it is keeps only its own headers: one set through the context would be lost.
    keepOffSearchEngines(attachment.request, (name, value) => response.headers.set(name, value));
    return response;
  });

  app.get(`/capture/:id{${NUMBER}}/:file{snapshot\\.(pdf|png)}`, async (c) => {
    // As bigint: the id column is 32-bit, and a larger number must find nothing rather than fail the query.
    const result = (await archive.db.execute(
      sql`select c.snapshot_pdf_sha256 as pdf, c.snapshot_png_sha256 as png, r.url_title, r.remote_id, r.site_id
          from captures c left join requests r on r.id = c.request_id where c.id = ${Number(c.req.param('id'))}::bigint`,
    )) as unknown as { rows: { pdf: string | null; png: string | null; url_title: string | null; remote_id: number | null; site_id: number | null }[] };
    const row = result.rows[0];
    const pdf = c.req.param('file').endsWith('.pdf');
    const sha256 = pdf ? row?.pdf : row?.png;
    if (!row || !sha256) return c.text('Not found', 404);
    if (row.remote_id !== null && row.site_id !== null) {
      const request = await archive.getRequest(String(row.remote_id), { siteId: row.site_id, includeRemoved: true });
      if (request?.removedAt) return c.text('Gone: the request was removed from the site', 410);
      if (request && withholdsSnapshots(request)) return c.text('Gone: the thread has a message or attachment the site now hides, which a snapshot may show', 410);
    }
    return blobResponse(archive, c.req.raw, {
      sha256,
      size: null,
      filename: `${row.url_title ?? 'capture'}-${c.req.param('id')}.${pdf ? 'pdf' : 'png'}`,
      contentType: pdf ? 'application/pdf' : 'image/png',
      disposition: pdf ? 'attachment' : 'inline',
    });
  });

  app.get(`/authority/:urlName{${SLUG}}`, async (c) => {
    const urlName = c.req.param('urlName');
    const authority = await authorityByUrlName(archive, urlName);
    if (!authority) return c.html(notFoundPage('No archived authority has this name.'), 404);
    const paged = pagedQueryFromParams({ page: c.req.query('page') }, { maxLimit: PAGE_SIZE });
    const [result, exemptions, timeliness] = await Promise.all([
      archive.search({ ...paged.query, authority: urlName, sort: 'date' }),
      archive.exemptionTally({ authority: urlName }),
      archive.timelinessTally({ authority: urlName }),
    ]);
    return c.html(authorityPage(authority, result, paged, exemptions, timeliness));
  });

  app.get('/exemptions', async (c) => c.html(exemptionsPage(await archive.exemptionTally())));

  app.get('/timeliness', async (c) => {
    const view = timelinessViewFromParams(paramsOf(c), { maxLimit: PAGE_SIZE * 5, offset: false });
    const [tally, table] = await Promise.all([archive.timelinessTally(view), archive.timelinessByAuthority(view)]);
    return c.html(timelinessPage(tally, table, view));
  });

  app.get('/runs', async (c) => c.html(runsPage(await archive.pastRuns(100))));

  // ---- exports ----
  const exportRoute = (format: ExportFormat) => async (c: Context) => {
    const query = filtersFromParams(paramsOf(c));
    const stream = exportStream(archive, query, format);
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
      headers: {
        'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="wdtk-archive-export.${format}"`,
      },
    });
  };
  app.get('/export.csv', exportRoute('csv'));
  app.get('/export.jsonl', exportRoute('jsonl'));

  // ---- JSON API ----
  app.get('/api/openapi.json', (c) => c.json(openApiDocument));

  app.get('/api/search', async (c) => {
    const { query, limit } = pagedQueryFromParams(paramsOf(c), { maxLimit: MAX_API_LIMIT });
    const result = await archive.search(query);
    return c.json({ total: result.total, totalIsEstimate: result.totalIsEstimate, limit, offset: query.offset ?? 0, hits: result.hits, facets: result.facets });
  });

  app.get(`/api/request/:slug{${SLUG}}`, async (c) => {
    const request = await getRequest(c.req.param('slug'));
    if (!request) return c.json({ error: 'not found' }, 404);
    if (request.removedAt) return removedJson(c, request.removedAt, request.removalReason);
    keepOffSearchEngines(request, c.header);
    const shown = publicRequest(request);
    return c.json({ ...shown, exemptionsCited: exemptionsCited(shown) });
  });

  app.get(`/api/attachment/:id{${ATTACHMENT}}`, async (c) => {
    const attachment = await getAttachment(c.req.param('id'));
    if (!attachment) return c.json({ error: 'not found' }, 404);
    const gone = attachmentGone(attachment);
    if (gone) return c.json(gone, 410);
    keepOffSearchEngines(attachment.request, c.header);
    return c.json(attachmentJson(attachment, await publicCopies(attachment)));
  });

  app.get(`/api/attachment/:id{${ATTACHMENT}}/text`, async (c) => {
    const attachment = await getAttachment(c.req.param('id'));
    if (!attachment) return c.json({ error: 'not found' }, 404);
    const gone = attachmentGone(attachment);
    if (gone) return c.json(gone, 410);
    const pages = attachment.sha256 ? await pageTexts(archive, attachment.sha256, undefined) : [];
    keepOffSearchEngines(attachment.request, c.header);
    return c.json({ id: attachment.id, sha256: attachment.sha256, pages: pages.map((p) => ({ number: p.number, text: p.parts.map((part) => part.text).join('') })) });
  });

  app.get(`/api/authority/:urlName{${SLUG}}`, async (c) => {
    const urlName = c.req.param('urlName');
    const authority = await authorityByUrlName(archive, urlName);
    if (!authority) return c.json({ error: 'not found' }, 404);
    const { query, limit } = pagedQueryFromParams({ limit: c.req.query('limit'), offset: c.req.query('offset') }, { maxLimit: MAX_API_LIMIT });
    const [result, exemptions, timeliness] = await Promise.all([
      archive.search({ ...query, authority: urlName, sort: 'date' }),
      archive.exemptionTally({ authority: urlName }),
      archive.timelinessTally({ authority: urlName }),
    ]);
    return c.json({
      authority,
      total: result.total,
      statusCounts: result.facets.status,
      exemptions,
      timeliness,
      limit,
      offset: query.offset ?? 0,
      requests: result.hits.map((h) => ({ requestId: h.requestId, remoteId: h.remoteId, urlTitle: h.urlTitle, title: h.title, status: h.status, date: h.date })),
    });
  });

  app.get('/api/exemptions', async (c) => c.json(await archive.exemptionTally()));

  app.get('/api/timeliness', async (c) => {
    const view = timelinessViewFromParams(paramsOf(c), { maxLimit: MAX_API_LIMIT });
    const [tally, table] = await Promise.all([archive.timelinessTally(view), archive.timelinessByAuthority(view)]);
    return c.json({ ...tally, total: table.total, limit: view.limit, offset: view.offset, authorities: table.authorities });
  });

  app.get('/api/runs', async (c) => {
    return c.json({ runs: await archive.pastRuns(positiveParam('limit', c.req.query('limit'), 100, 1000)) });
  });

  return app;
}
