import { html } from 'hono/html';
import { exemptionsCited, type AttachmentCopies, type AttachmentSummary, type CaptureSummary, type EventDetail, type HistoryEntry, type RequestDetail } from '../../storage/index.js';
import { formatDate, formatDateTime, formatSize, page, type Html } from '../layout.js';
import { isWithheld } from '../visibility.js';
import { exemptionsCitedSection } from './exemptions.js';
import { requestTimeliness } from './timeliness.js';

export interface TextBlock {
  quoted: boolean;
  text: string;
}

// The start of a reply's quoted tail, as mail clients write it; everything after it is the earlier thread.
const QUOTED_TAIL = [/^-{2,}\s*Original Message\s*-{2,}\s*$/i, /^On .{4,200} wrote:\s*$/, /^_{10,}\s*$/, /^From: .+$/];

/**
 * Splits a message into its own words and the quoted parts (lines starting with ">", and the tail
 * after an "Original Message" or "On … wrote:" line), so the page can fold what the reader has seen.
 */
export function splitQuoted(text: string): TextBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: TextBlock[] = [];
  const push = (quoted: boolean, line: string) => {
    const last = blocks.at(-1);
    if (last && last.quoted === quoted) last.text += `\n${line}`;
    else blocks.push({ quoted, text: line });
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const previousBlank = i === 0 || (lines[i - 1] ?? '').trim() === '';
    const startsTail = QUOTED_TAIL.some((pattern, n) => pattern.test(line.trim()) && (n < 3 || previousBlank));
    if (startsTail && blocks.some((b) => !b.quoted && b.text.trim() !== '')) {
      push(true, lines.slice(i).join('\n'));
      break;
    }
    push(/^\s*>/.test(line), line);
  }
  return blocks.filter((b) => b.text.trim() !== '').map((b) => ({ quoted: b.quoted, text: b.text.replace(/^\n+|\s+$/g, '') }));
}

function messageBody(text: string | null): Html {
  if (!text) return html`<p class="muted">No text.</p>`;
  return html`${splitQuoted(text).map((block) =>
    block.quoted
      ? html`<details class="quoted"><summary>Show quoted text</summary><div class="body">${block.text}</div></details>`
      : html`<div class="body">${block.text}</div>`,
  )}`;
}

/**
 * A row per attachment; one the site no longer shows is named, with no link to its page, text or bytes. With
 * `copies`, a last column says how many other public copies of the same file the archive holds.
 */
function attachmentRow(a: AttachmentSummary, copies?: Map<number, AttachmentCopies>): Html {
  const name = a.filename ?? `attachment ${a.id}`;
  const served = !isWithheld(a);
  return html`<tr>
  <td>${served ? html`<a href="/attachment/${a.id}">${name}</a>` : name}${a.hidden ? html` <span class="badge removed">hidden</span>` : ''}${a.removedAt ? html` <span class="badge removed">removed</span>` : ''}</td>
  <td>${a.type ?? a.contentType ?? '—'}</td>
  <td>${formatSize(a.size)}</td>
  <td class="hash">${a.sha256 ?? 'not downloaded'}</td>
  <td>${served && a.sha256 !== null ? html`<a href="/attachment/${a.id}/download">download</a> · <a href="/attachment/${a.id}#text">text</a>` : '—'}</td>
  ${copies ? html`<td>${served ? copiesCell(a.id, copies.get(a.id)) : '—'}</td>` : ''}
</tr>`;
}

function copiesCell(id: number, found: AttachmentCopies | undefined): Html | string {
  const count = found ? found.copies.length + found.more : 0;
  return count === 0 ? '—' : html`<a href="/attachment/${id}#also-released-in">${count} other cop${count === 1 ? 'y' : 'ies'}</a>`;
}

function attachmentsTable(attachments: AttachmentSummary[], copies?: Map<number, AttachmentCopies>): Html {
  return html`<table>
<thead><tr><th>File</th><th>Type</th><th>Size</th><th>sha256</th><th>Original</th>${copies ? html`<th>Also released</th>` : ''}</tr></thead>
<tbody>${attachments.map((a) => attachmentRow(a, copies))}</tbody>
</table>`;
}

function eventArticle(event: EventDetail): Html {
  const label = { outgoing: 'Request or follow-up', incoming: 'Response', comment: 'Annotation' }[event.kind];
  return html`<article class="message ${event.kind}" id="message-${event.kind}-${event.messageId}">
  <header><strong>${label}${event.author ? html` from ${event.author}` : ''}</strong><span class="meta">${formatDateTime(event.time)}</span></header>
  ${event.hidden ? html`<p class="notice">This message was hidden by the site.</p>` : messageBody(event.text)}
  ${event.attachments.length > 0 ? attachmentsTable(event.attachments) : ''}
</article>`;
}

function historyList(history: HistoryEntry[]): Html {
  if (history.length === 0) return html`<p class="muted">No change recorded since it was first archived.</p>`;
  return html`<table><thead><tr><th>When</th><th>What changed</th><th>From</th><th>To</th><th>Run</th></tr></thead><tbody>${history.map(
    (h) => html`<tr><td>${formatDateTime(h.at)}</td><td>${h.change.replace('_', ' ')}</td><td>${h.from ?? '—'}</td><td>${h.to ?? '—'}</td><td>${h.runId ?? '—'}</td></tr>`,
  )}</tbody></table>`;
}

function capturesTable(captures: CaptureSummary[]): Html {
  if (captures.length === 0) return html`<p class="muted">No capture recorded.</p>`;
  return html`<table><thead><tr><th>Fetched</th><th>Kind</th><th>Status</th><th>URL</th><th>Body sha256</th><th>Snapshot</th></tr></thead><tbody>${captures.map(
    (c) => html`<tr>
  <td>${formatDateTime(c.fetchedAt)}</td><td>${c.kind}</td><td>${c.status}</td><td class="url">${c.url}</td>
  <td class="hash">${c.sha256 ?? '—'}</td>
  <td>${c.snapshotPdfSha256 ? html`<a href="/capture/${c.id}/snapshot.pdf">PDF</a>` : ''}${c.snapshotPdfSha256 && c.snapshotPngSha256 ? ' · ' : ''}${c.snapshotPngSha256 ? html`<a href="/capture/${c.id}/snapshot.png">PNG</a>` : ''}${!c.snapshotPdfSha256 && !c.snapshotPngSha256 ? '—' : ''}</td>
</tr>`,
  )}</tbody></table>`;
}

/** `copies`: the other public copies of each attachment's content (Archive.attachmentCopies), for "All attachments". */
export function requestPage(request: RequestDetail, copies: Map<number, AttachmentCopies>): Html {
  const snapshot = [...request.captures].reverse().find((c) => c.snapshotPdfSha256 || c.snapshotPngSha256);
  const body = html`<h1>${request.title}</h1>
<dl class="facts">
  <dt>Authority</dt><dd><a href="/authority/${encodeURIComponent(request.authority.urlName)}">${request.authority.name}</a></dd>
  <dt>Requester</dt><dd>${request.requester?.name ?? '—'}</dd>
  <dt>Status</dt><dd>${request.statusLabel ?? request.status}</dd>
  <dt>Made</dt><dd>${formatDate(request.remoteCreatedAt)}</dd>
  ${request.timeliness ? html`<dt>Timeliness</dt><dd>${requestTimeliness(request.timeliness)}</dd>` : ''}
  <dt>Last updated on the site</dt><dd>${formatDateTime(request.remoteUpdatedAt)}</dd>
  <dt>First archived</dt><dd>${formatDateTime(request.firstArchivedAt)}</dd>
  <dt>Last checked</dt><dd>${formatDateTime(request.lastCheckedAt)}</dd>
  <dt>Request id</dt><dd>${request.remoteId} (<a href="/api/request/${request.remoteId}">JSON</a>)</dd>
  ${snapshot
    ? html`<dt>Page snapshot</dt><dd>as fetched ${formatDateTime(snapshot.fetchedAt)}: ${snapshot.snapshotPdfSha256 ? html`<a href="/capture/${snapshot.id}/snapshot.pdf">PDF</a> ` : ''}${snapshot.snapshotPngSha256 ? html`<a href="/capture/${snapshot.id}/snapshot.png">PNG</a>` : ''}</dd>`
    : ''}
</dl>
${exemptionsCitedSection(exemptionsCited(request))}
<h2>Correspondence</h2>
${request.events.length > 0 ? request.events.map(eventArticle) : html`<p class="muted">No messages archived.</p>`}
<h2>All attachments</h2>
${request.attachments.length > 0 ? attachmentsTable(request.attachments, copies) : html`<p class="muted">No attachments.</p>`}
<h2>What changed</h2>
${historyList(request.history)}
<h2>Capture history</h2>
${capturesTable(request.captures)}`;
  return page(request.title, body);
}

export function removedPage(request: RequestDetail): Html {
  return page(
    'Request removed',
    html`<h1>This request is no longer public</h1>
<p class="notice">The site stopped serving it on ${formatDate(request.removedAt)}${request.removalReason ? html`: ${request.removalReason}` : ''}. It is kept for the archive's operator only.</p>
<p><a href="/">Search the archive</a></p>`,
  );
}
