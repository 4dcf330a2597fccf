import { html } from 'hono/html';
import { attachmentCitation, type AttachmentCopies, type AttachmentDetail } from '../../storage/index.js';
import { formatDate, formatDateTime, formatSize, highlighted, page, type Html } from '../layout.js';

export interface PageText {
  number: number;
  parts: { text: string; match: boolean }[];
}

function headerRows(headers: Record<string, string>): Html {
  const names = Object.keys(headers).sort();
  if (names.length === 0) return html`<p class="muted">None recorded.</p>`;
  return html`<table><tbody>${names.map((name) => html`<tr><th>${name}</th><td>${headers[name]}</td></tr>`)}</tbody></table>`;
}

function provenance(a: AttachmentDetail): Html {
  const capture = a.capture;
  return html`<h2 id="provenance">Provenance</h2>
<dl class="facts">
  <dt>Source URL</dt><dd>${capture?.url ?? a.sourceUrl ?? '—'}</dd>
  <dt>Fetched at</dt><dd>${formatDateTime(capture?.fetchedAt ?? a.fetchedAt)}</dd>
  <dt>HTTP status</dt><dd>${capture ? String(capture.status) : '—'}</dd>
  <dt>Capture</dt><dd>${capture ? html`#${capture.id}${capture.runId !== null ? html`, run ${capture.runId}` : ''}` : '—'}</dd>
  <dt>sha256</dt><dd class="hash" id="sha256">${a.sha256 ?? 'not downloaded'}</dd>
  <dt>Size</dt><dd>${a.size !== null ? html`${formatSize(a.size)} (${a.size} bytes)` : '—'}</dd>
  <dt>Stored since</dt><dd>${formatDateTime(a.blob?.createdAt)}</dd>
  <dt>Last verified</dt><dd>${formatDateTime(a.blob?.verifiedAt)}</dd>
</dl>
${capture
  ? html`<h3>Request headers</h3>${headerRows(capture.requestHeaders)}<h3>Response headers</h3>${headerRows(capture.responseHeaders)}`
  : ''}`;
}

/** Where else the same file was released, earliest first; nothing when it was released once. */
function alsoReleasedIn({ copies, more }: AttachmentCopies): Html {
  if (copies.length === 0) return html``;
  return html`<h2 id="also-released-in">Also released in</h2>
<p class="muted">The same file (the same sha256), earliest first.</p>
<ul class="also-released-in">${copies.map(
    (copy) => html`<li><a href="/attachment/${copy.id}">${copy.filename ?? `attachment ${copy.id}`}</a> in <a href="/request/${encodeURIComponent(copy.request.urlTitle)}">${copy.request.title}</a> · <a href="/authority/${encodeURIComponent(copy.request.authority.urlName)}">${copy.request.authority.name}</a> · ${formatDate(copy.messageTime)}</li>`,
  )}</ul>
${more > 0 ? html`<p class="muted">And ${more} more.</p>` : ''}`;
}

/** Where the text stands: a reader must not take a document whose extraction failed, or is still to come, for one without text. */
function extractionState(a: AttachmentDetail): { fact: string; noText: string } {
  const x = a.extraction;
  if (!a.sha256) return { fact: 'not downloaded', noText: 'No text: the original was not downloaded.' };
  if (!x) return { fact: '—', noText: 'No text extracted.' };
  const tries = `${x.attempts} attempt${x.attempts === 1 ? '' : 's'}`;
  switch (x.status) {
    case 'pending':
      return x.attempts === 0
        ? { fact: 'waiting to be extracted', noText: 'No text yet: the document is waiting to be extracted.' }
        : { fact: `to be tried again after ${tries}: ${x.error ?? 'no reason recorded'}`, noText: 'No text yet: extraction is to be tried again.' };
    case 'running':
      return { fact: 'being extracted', noText: 'No text yet: the document is being extracted.' };
    case 'failed':
      return { fact: `could not be extracted (${tries}): ${x.error ?? 'no reason recorded'}`, noText: 'No text: extraction failed, so search does not find this document.' };
    case 'done': {
      const scan = a.blob?.needsOcr ? '; scanned pages without a text layer, which OCR did not read (tesseract missing or failing)' : '';
      return { fact: `extracted ${formatDateTime(x.finishedAt)}${scan}`, noText: 'No text: the document holds none that could be read.' };
    }
  }
}

export function attachmentPage(a: AttachmentDetail, pages: PageText[], query: string | undefined, copies: AttachmentCopies): Html {
  const name = a.filename ?? `attachment ${a.id}`;
  const hits = pages.reduce((n, p) => n + p.parts.filter((part) => part.match).length, 0);
  const state = extractionState(a);
  const cited = attachmentCitation(a);
  const body = html`<h1>${name}</h1>
<p class="meta">From <a href="/request/${encodeURIComponent(a.request.urlTitle)}">${a.request.title}</a> · <a href="/authority/${encodeURIComponent(a.request.authority.urlName)}">${a.request.authority.name}</a>${a.message ? html` · message of ${formatDateTime(a.message.time)}` : ''}</p>
<dl class="facts">
  <dt>Original</dt><dd>${a.sha256 ? html`<a href="/attachment/${a.id}/download">Download the original</a> (${formatSize(a.size)})` : 'not downloaded'}</dd>
  <dt>Declared type</dt><dd>${a.contentType ?? '—'}</dd>
  <dt>Detected type</dt><dd>${a.blob?.sniffedType ?? a.type ?? '—'}${a.blob?.mime ? html` (${a.blob.mime})` : ''}</dd>
  <dt>Pages</dt><dd>${a.pageCount ?? a.blob?.pageCount ?? '—'}</dd>
  <dt>Text</dt><dd id="extraction">${state.fact}</dd>
  ${a.extraction?.warnings.length ? html`<dt>Extraction notes</dt><dd><ul class="plain">${a.extraction.warnings.map((w) => html`<li>${w}</li>`)}</ul></dd>` : ''}
  <dt>sha256</dt><dd class="hash">${a.sha256 ?? '—'}</dd>
  <dt>Data</dt><dd><a href="/api/attachment/${a.id}">JSON</a> · <a href="#provenance">provenance</a></dd>
</dl>
${cited ? html`<h2 id="cite">Cite this document</h2><p class="citation">${cited}</p>` : ''}
${alsoReleasedIn(copies)}
<h2 id="text">Text</h2>
<form class="search no-print" action="/attachment/${a.id}" method="get">
  <input type="search" name="q" value="${query ?? ''}" aria-label="Find in this document">
  <button type="submit">Find in text</button>
</form>
${query ? html`<p class="muted">${hits} match${hits === 1 ? '' : 'es'} for “${query}”.</p>` : ''}
${pages.length === 0
  ? html`<p class="muted">${state.noText}</p>`
  : pages.map((p) => html`<section class="page-text" id="page-${p.number}"><h3>Page ${p.number}</h3><pre>${highlighted(p.parts)}</pre></section>`)}
${provenance(a)}`;
  return page(name, body);
}
