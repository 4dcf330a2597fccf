import { html } from 'hono/html';
import { describeRunScope, type ExemptionTally, type RunRow, type SearchResult, type TimelinessTally } from '../../storage/index.js';
import { formatDate, formatDateTime, formatSize, page, type Html } from '../layout.js';
import { exemptionTallyTable } from './exemptions.js';
import { timelinessSummary } from './timeliness.js';

export function authorityPage(
  authority: { urlName: string; name: string },
  result: SearchResult,
  paging: { page: number; limit: number },
  exemptions: ExemptionTally,
  timeliness: TimelinessTally,
): Html {
  const base = `/authority/${encodeURIComponent(authority.urlName)}`;
  const lastPage = Math.max(1, Math.ceil(result.total / paging.limit));
  const body = html`<h1>${authority.name}</h1>
<p class="muted">${result.total} archived request${result.total === 1 ? '' : 's'} · <a href="/search?authority=${encodeURIComponent(authority.urlName)}">search within</a> · <a href="/api/authority/${encodeURIComponent(authority.urlName)}">JSON</a></p>
<h2>By status</h2>
<table><thead><tr><th>Status</th><th>Requests</th></tr></thead><tbody>${result.facets.status.map(
    (f) => html`<tr><td><a href="/search?authority=${encodeURIComponent(authority.urlName)}&amp;status=${encodeURIComponent(f.key)}">${f.label}</a></td><td>${f.count}</td></tr>`,
  )}</tbody></table>
<h2>Timeliness</h2>
<p class="muted">How promptly it first replied, against the law's 20 working days (<a href="/timeliness">how it is counted</a>).</p>
${timelinessSummary(timeliness, { authority: authority.urlName })}
<h2>Exemptions cited</h2>
<p class="muted">The sections and regulations its messages and released documents cite (<a href="/exemptions">how they are read</a>).</p>
${exemptionTallyTable(exemptions, { authority: authority.urlName })}
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

function formatDuration(fromDate: Date, toDate: Date): string {
  const seconds = Math.max(0, Math.round((toDate.getTime() - fromDate.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function runRow(r: RunRow): Html {
  const count = (name: string) => r.counters[name] ?? 0;
  const notModified = count('notModified');
  return html`<tr>
<td>${r.id}</td>
<td>${describeRunScope(r.scope)}</td>
<td>${formatDateTime(r.startedAt)}</td>
<td>${r.endedAt ? formatDuration(r.startedAt, r.endedAt) : 'not ended'}</td>
<td>${r.outcome}${r.error ? html`<div class="muted">${r.error}</div>` : ''}</td>
<td>${count('requests')}${notModified ? html` (${notModified} not modified)` : ''}</td>
<td>${count('newRequests')} new, ${count('changedRequests')} changed, ${count('removedRequests')} removed</td>
<td>${count('attachments')} (${formatSize(count('attachmentBytes'))})</td>
<td>${count('errors')}</td>
<td><details class="counters"><summary>all</summary><table><tbody>${Object.keys(r.counters)
    .sort()
    .map((name) => html`<tr><th>${name}</th><td>${r.counters[name]}</td></tr>`)}</tbody></table></details></td>
</tr>`;
}

export function runsPage(runs: RunRow[]): Html {
  const body = html`<h1>Archival runs</h1>
<p class="muted">Most recent first. <a href="/api/runs">JSON</a></p>
${runs.length === 0
  ? html`<p class="muted">No run yet.</p>`
  : html`<table class="runs">
<thead><tr><th>Run</th><th>Scope</th><th>Started</th><th>Took</th><th>Outcome</th><th>Requests to the site</th><th>Threads</th><th>Attachments downloaded</th><th>Errors</th><th>Counters</th></tr></thead>
<tbody>${runs.map(runRow)}</tbody>
</table>`}`;
  return page('Runs', body);
}
