import { html } from 'hono/html';
import { EXEMPTIONS, type ExemptionCitation, type ExemptionTally } from '../../storage/index.js';
import { formatDate, page, type Html } from '../layout.js';

const searchHref = (filters: Record<string, string>) => `/search?${new URLSearchParams(filters).toString()}`;

export const exemptionsExplained = html`<p class="muted">Read from the authorities' own words: the sections of the Freedom of Information
Acts and the regulations of the Environmental Information Regulations that their messages and released documents cite
(“withheld under section 40(2)”), in what the site shows. A citation is not a verdict: a letter may cite a section to
say it does not apply.</p>`;

/** A request page's list: each exemption cited, where, and a search for the other requests citing it. */
export function exemptionsCitedSection(cited: ExemptionCitation[]): Html {
  if (cited.length === 0) return html``;
  return html`<h2 id="exemptions">Exemptions cited</h2>
<p class="muted">Read from the authority's messages and released documents (<a href="/exemptions">how</a>); each code finds the other requests citing it.</p>
<ul class="exemptions">${cited.map(
    (c) => html`<li><a href="${searchHref({ exemption: c.code })}" title="Other requests citing it">${c.code}</a> ${c.label}: ${c.sources.map((source, i) => html`${i > 0 ? '; ' : ''}${
      source.kind === 'message'
        ? html`the <a href="#message-incoming-${source.messageId}">response of ${formatDate(source.time)}</a>`
        : html`<a href="/attachment/${source.attachmentId}#page-${source.pages[0]}">${source.filename ?? `attachment ${source.attachmentId}`}</a>, page${source.pages.length === 1 ? '' : 's'} ${source.pages.join(', ')}`
    }`)}</li>`,
  )}</ul>`;
}

/** The tally as a table, each count linking to the search for those requests (within `filters`, such as an authority). */
export function exemptionTallyTable(tally: ExemptionTally, filters: Record<string, string> = {}): Html {
  if (tally.exemptions.length === 0) return html`<p class="muted">None of these ${tally.requests} requests cites an exemption in what was archived.</p>`;
  return html`<p>${tally.citing} of ${tally.requests} request${tally.requests === 1 ? '' : 's'} cite at least one.</p>
<table class="exemptions"><thead><tr><th>Exemption</th><th>Heading</th><th>Requests citing it</th></tr></thead><tbody>${tally.exemptions.map(
    (e) => html`<tr><td>${e.code}</td><td>${e.label}</td><td><a href="${searchHref({ ...filters, exemption: e.code })}">${e.requests}</a></td></tr>`,
  )}</tbody></table>`;
}

export function exemptionsPage(tally: ExemptionTally): Html {
  const body = html`<h1>Exemptions cited</h1>
${exemptionsExplained}
<p class="muted"><a href="/api/exemptions">JSON</a></p>
${exemptionTallyTable(tally)}
<details class="codes"><summary>Every exemption the archive reads</summary>
<table><thead><tr><th>Code</th><th>Heading</th></tr></thead><tbody>${Object.entries(EXEMPTIONS).map(([code, label]) => html`<tr><td>${code}</td><td>${label}</td></tr>`)}</tbody></table>
<p class="muted">FOIA: Freedom of Information Act 2000. FOISA: Freedom of Information (Scotland) Act 2002. EIR: Environmental
Information Regulations 2004. EIRS: Environmental Information (Scotland) Regulations 2004.</p>
</details>`;
  return page('Exemptions cited', body);
}
