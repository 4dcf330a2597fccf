import { html } from 'hono/html';
import type { RunRow, SearchResult } from '../../storage/index.js';
import { formatDate, formatDateTime, page, type Html } from '../layout.js';

export function authorityPage(
  authority: { urlName: string; name: string },
  result: SearchResult,
  paging: { page: number; limit: number },
): Html {
  const base = `/authority/${encodeURIComponent(authority.urlName)}`;
  const lastPage = Math.max(1, Math.ceil(result.total / paging.limit));
  const body = html`<h1>${authority.name}</h1>
<p class="muted">${result.total} archived request${result.total === 1 ? '' : 's'} · <a href="/search?authority=${encodeURIComponent(authority.urlName)}">search within</a> · <a href="/api/authority/${encodeURIComponent(authority.urlName)}">JSON</a></p>
<h2>By status</h2>
<table><thead><tr><th>Status</th><th>Requests</th></tr></thead><tbody>${result.facets.status.map(
    (f) => html`<tr><td><a href="/search?authority=${encodeURIComponent(authority.urlName)}&amp;status=${encodeURIComponent(f.key)}">${f.label}</a></td><td>${f.count}</td></tr>`,
  )}</tbody></table>
<h2>Requests</h2>
<table><thead><tr><th>Made</th><th>Title</th><th>Status</th></tr></thead><tbody>${result.hits.map(
    (hit) => html`<tr><td>${formatDate(hit.date)}</td><td><a href="/request/${encodeURIComponent(hit.urlTitle)}">${hit.title}</a></td><td>${hit.status}</td></tr>`,
  )}</tbody></table>
<nav class="pages" aria-label="Result pages">
  ${paging.page > 1 ? html`<a rel="prev" href="${base}?page=${paging.page - 1}">← Previous</a>` : ''}
  ${paging.page < lastPage ? html`<a rel="next" href="${base}?page=${paging.page + 1}">Next →</a>` : ''}
</nav>`;
  return page(authority.name, body);
}

export function runsPage(runs: RunRow[]): Html {
  const counterNames = [...new Set(runs.flatMap((r) => Object.keys(r.counters)))].sort();
  const body = html`<h1>Archival runs</h1>
<p class="muted">Most recent first. <a href="/api/runs">JSON</a></p>
${runs.length === 0
  ? html`<p class="muted">No run yet.</p>`
  : html`<table>
<thead><tr><th>Run</th><th>Started</th><th>Ended</th><th>Outcome</th>${counterNames.map((n) => html`<th>${n}</th>`)}<th>Error</th></tr></thead>
<tbody>${runs.map(
      (r) => html`<tr><td>${r.id}</td><td>${formatDateTime(r.startedAt)}</td><td>${formatDateTime(r.endedAt)}</td><td>${r.outcome}</td>${counterNames.map(
        (n) => html`<td>${r.counters[n] ?? 0}</td>`,
      )}<td>${r.error ?? ''}</td></tr>`,
    )}</tbody>
</table>`}`;
  return page('Runs', body);
}
