import { html } from 'hono/html';
import { exemptionCode, exemptionLabel, type Facet, type SearchHit, type SearchResult, type TimelinessOutcome } from '../../storage/index.js';
import { feedParams } from '../feed.js';
import { formatDate, highlighted, page, type Html } from '../layout.js';
import { withParams } from '../query.js';

type Params = Record<string, string | undefined>;

const SYNTAX_HELP = html`<details class="syntax">
  <summary>How to search</summary>
  <ul>
    <li>Words: <code>housing repairs</code> finds requests and documents with both words (and their forms: repair, repairs, repaired).</li>
    <li>Phrase: <code>"freedom of information"</code> in double quotes.</li>
    <li>Either: <code>council OR borough</code>.</li>
    <li>Exclude: <code>-parking</code> leaves out anything with that word.</li>
    <li>Filters narrow the results; the counts beside each filter are for the current results.</li>
  </ul>
</details>`;

const TIMELINESS_LABELS: Record<TimelinessOutcome, string> = {
  on_time: 'within 20 working days',
  late: 'after the due date',
  overdue: 'none, past the due date',
  waiting: 'none yet, not yet due',
};

function filterForm(params: Params, result: SearchResult | null): Html {
  const selected = (current: string | undefined, value: string) => (current === value ? html` selected` : '');
  const exemption = params.exemption ? (exemptionCode(params.exemption) ?? undefined) : undefined;
  return html`<form class="search" action="/search" method="get">
  <label>Words<input type="search" name="q" value="${params.q ?? ''}"></label>
  <label>Authority<input type="text" name="authority" value="${params.authority ?? ''}" placeholder="url name"></label>
  <label>Status<select name="status"><option value="">any</option>${facetOptions(result?.facets.status ?? [], params.status)}</select></label>
  <label>File type<select name="type"><option value="">any</option>${facetOptions(result?.facets.type ?? [], params.type)}</select></label>
  <label>Exemption cited<select name="exemption"><option value="">any</option>${facetOptions(result?.facets.exemption ?? [], exemption, (code) => `${code}: ${exemptionLabel(code)}`)}</select></label>
  <label>First reply<select name="timeliness"><option value="">any</option>${Object.entries(TIMELINESS_LABELS).map(
    ([value, label]) => html`<option value="${value}"${selected(params.timeliness, value)}>${label}</option>`,
  )}</select></label>
  <label>From<input type="date" name="from" value="${params.from ?? ''}"></label>
  <label>To<input type="date" name="to" value="${params.to ?? ''}"></label>
  <label>Order<select name="sort"><option value="">relevance</option><option value="date"${selected(params.sort, 'date')}>newest first</option></select></label>
  <button type="submit">Search</button>
</form>`;
}

/** The facet's options, plus the one chosen when no result has it, so that the form keeps the filter. */
function facetOptions(facets: Facet[], chosen: string | undefined, labelOf: (key: string) => string = (key) => key): Html[] {
  const listed = chosen === undefined || facets.some((f) => f.key === chosen) ? facets : [...facets, { key: chosen, label: labelOf(chosen), count: 0 }];
  return listed.map((f) => html`<option value="${f.key}"${chosen === f.key ? html` selected` : ''}>${f.label} (${f.count})</option>`);
}

function facetList(title: string, param: string, facets: Facet[], params: Params): Html {
  if (facets.length === 0) return html``;
  return html`<h3>${title}</h3><ul>${facets.map((f) => {
    const active = params[param] === f.key;
    const href = `/search${withParams(params, { [param]: active ? undefined : f.key, page: undefined })}`;
    return html`<li><a href="${href}">${active ? html`<strong>${f.label}</strong> ✕` : f.label}</a><span class="muted">${f.count}</span></li>`;
  })}</ul>`;
}

function yearFacet(facets: Facet[], params: Params): Html {
  if (facets.length === 0) return html``;
  return html`<h3>Year</h3><ul>${facets.map((f) => {
    const href = `/search${withParams(params, { from: `${f.key}-01-01`, to: `${f.key}-12-31`, page: undefined })}`;
    return html`<li><a href="${href}">${f.label}</a><span class="muted">${f.count}</span></li>`;
  })}</ul>`;
}

function hitItem(hit: SearchHit, params: Params): Html {
  const requestHref = `/request/${encodeURIComponent(hit.urlTitle)}`;
  const doc = hit.attachment;
  const docPart = doc
    ? html`<div class="meta">Document: <a href="/attachment/${doc.id}${textQuery(params)}#page-${doc.page}">${doc.filename ?? `attachment ${doc.id}`}, page ${doc.page}</a>${doc.type ? html` <span class="badge">${doc.type}</span>` : ''}</div>`
    : '';
  return html`<li class="hit ${hit.kind}">
  <div class="title"><span class="badge">${hit.kind === 'document' ? 'document' : 'request'}</span><a href="${requestHref}">${hit.title}</a></div>
  <div class="meta"><a href="/authority/${encodeURIComponent(hit.authority.urlName)}">${hit.authority.name}</a> · ${hit.status} · ${formatDate(hit.date)}</div>
  ${docPart}
  ${hit.snippetParts.length > 0 ? html`<p class="snippet">${highlighted(hit.snippetParts)}</p>` : ''}
</li>`;
}

function textQuery(params: Params): string {
  return params.q ? `?${new URLSearchParams({ q: params.q }).toString()}` : '';
}

export function searchPage(params: Params, result: SearchResult | null, paging: { page: number; limit: number }, error?: string): Html {
  const title = params.q ? `Search: ${params.q}` : 'Search the archive';
  // Exports take the whole result set; the JSON link is this very page.
  const filters = withParams(params, { page: undefined, limit: undefined });
  const feed = { href: `/search.atom${feedParams(params)}`, title: params.q ? `New results for “${params.q}”` : 'New in the archive' };
  // An estimated total is only a lower bound: no last page can be computed from it, only whether this one is full.
  const lastPage = result && !result.totalIsEstimate ? Math.max(1, Math.ceil(result.total / paging.limit)) : null;
  const hasNext = result !== null && (lastPage === null ? result.hits.length === paging.limit : paging.page < lastPage);
  const count = (n: number) => n.toLocaleString('en-GB');
  const body = html`<h1>${params.q ? html`Results for “${params.q}”` : 'Search FOI requests and released documents'}</h1>
${filterForm(params, result)}
${SYNTAX_HELP}
${error ? html`<p class="notice" role="alert">${error}</p>` : ''}
${result
  ? html`<div class="layout">
  <aside class="facets">
    ${facetList('Authority', 'authority', result.facets.authority, params)}
    ${facetList('Status', 'status', result.facets.status, params)}
    ${facetList('File type', 'type', result.facets.type, params)}
    ${facetList('Exemption cited', 'exemption', result.facets.exemption, params)}
    ${yearFacet(result.facets.year, params)}
  </aside>
  <section>
    <p class="muted">${result.totalIsEstimate
      ? html`${count(result.total)}+ results, page ${paging.page}.`
      : html`${count(result.total)} result${result.total === 1 ? '' : 's'}${result.total > 0 ? html`, page ${paging.page} of ${count(lastPage ?? 1)}` : ''}.`}
      <span class="exports">Same results as <a href="/api/search${withParams(params, {})}">JSON</a>, export all as <a href="/export.csv${filters}">CSV</a> or <a href="/export.jsonl${filters}">JSON Lines</a>.
      <a href="${feed.href}" type="application/atom+xml">Follow these results (Atom feed)</a>.</span></p>
    <ol class="hits">${result.hits.map((hit) => hitItem(hit, params))}</ol>
    <nav class="pages" aria-label="Result pages">
      ${paging.page > 1 ? html`<a rel="prev" href="/search${withParams(params, { page: String(paging.page - 1) })}">← Previous</a>` : ''}
      ${hasNext ? html`<a rel="next" href="/search${withParams(params, { page: String(paging.page + 1) })}">Next →</a>` : ''}
    </nav>
  </section>
</div>`
  : ''}`;
  // An error page has no results to follow.
  return page(title, body, { query: params.q, ...(result ? { feed } : {}) });
}
