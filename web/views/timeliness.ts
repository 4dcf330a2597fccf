import { html } from 'hono/html';
import type { AuthorityTimeliness, RequestTimeliness, TimelinessOutcome, TimelinessTally } from '../../storage/index.js';
import { page, type Html } from '../layout.js';
import type { TimelinessView } from '../query.js';

export const timelinessExplained = html`<p class="muted">Counted from the site's own record of each request: when it was sent
and when the authority's first message came (an acknowledgement counts as a reply), and the first its requester
classified as an answer (successful, partly successful, not held or refused), against the law's limit of 20 working
days (weekends, Christmas Day, Good Friday and the bank holidays of every part of the UK do not count; days are
London's), counted as the site counts them: from when the request was sent, or resent, or, if the authority asked
for clarification, from the requester's reply. The site's own mark is counted too: it logs a request as overdue when
it is still waiting for its answer past the due date, as its requester sees it.</p>`;

const share = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—');

/** Requests that were due: answered on time or late, or unanswered past their due date. */
const dueCount = (t: TimelinessTally) => t.onTime + t.late + t.overdue;

/** A count linked to the search for those requests (within `filters`, such as an authority or dates). */
function searchLink(count: number, outcome: TimelinessOutcome, filters: Record<string, string>): Html {
  return count === 0 ? html`0` : html`<a href="/search?${new URLSearchParams({ ...filters, timeliness: outcome }).toString()}">${count}</a>`;
}

export function timelinessSummary(tally: TimelinessTally, filters: Record<string, string> = {}): Html {
  if (tally.requests === 0) return html`<p class="muted">No request with a known sending time.</p>`;
  return html`<table class="timeliness"><tbody>
<tr><th>Requests counted</th><td>${tally.requests}</td></tr>
<tr><th>First reply within 20 working days</th><td>${searchLink(tally.onTime, 'on_time', filters)} (${share(tally.onTime, dueCount(tally))} of the ${dueCount(tally)} due)</td></tr>
<tr><th>First reply after the due date</th><td>${searchLink(tally.late, 'late', filters)}</td></tr>
<tr><th>No reply, past the due date</th><td>${searchLink(tally.overdue, 'overdue', filters)}</td></tr>
<tr><th>No reply yet, not yet due</th><td>${searchLink(tally.waiting, 'waiting', filters)}</td></tr>
<tr><th>Median working days to the first reply</th><td>${tally.medianWorkingDays ?? '—'}</td></tr>
<tr><th>An answer, as its requester classified it, within 20 working days</th><td>${
    tally.answered === 0 ? 'no answer classified yet' : `${tally.answeredOnTime} (${share(tally.answeredOnTime, tally.answered)} of the ${tally.answered} answered)`
  }</td></tr>
<tr><th>Median working days to the answer</th><td>${tally.medianAnswerWorkingDays ?? '—'}</td></tr>
<tr><th>Marked overdue by the site</th><td>${tally.markedOverdue} (${tally.markedVeryOverdue} long overdue)</td></tr>
<tr><th>Internal reviews requested</th><td>${tally.internalReviews}</td></tr>
</tbody></table>`;
}

/** The request page's line: when it was sent, when due, and when and how promptly it was first answered. */
export function requestTimeliness(t: RequestTimeliness): Html {
  const days = `${t.responseWorkingDays} working day${t.responseWorkingDays === 1 ? '' : 's'}`;
  const reply = {
    on_time: html`first reply ${t.firstResponseOn}, after ${days}: <strong>on time</strong>`,
    late: html`first reply ${t.firstResponseOn}, after ${days}: <strong>late</strong>`,
    overdue: html`<strong>no reply</strong>, past the due date`,
    waiting: html`no reply yet`,
  }[t.outcome];
  const answer =
    t.firstAnswerOn !== null && t.firstAnswerOn !== t.firstResponseOn
      ? html`; answered ${t.firstAnswerOn}, after ${t.answerWorkingDays} working day${t.answerWorkingDays === 1 ? '' : 's'}`
      : '';
  const marks = [
    t.siteOverdue ? `the site marked it ${t.siteOverdue === 'very_overdue' ? 'long overdue' : 'overdue'}` : null,
    t.internalReviewRequested ? 'an internal review was requested' : null,
  ].filter((mark) => mark !== null);
  const restarted = t.clockStartedOn !== t.sentOn ? `, resent or clarified ${t.clockStartedOn}` : '';
  return html`sent ${t.sentOn}${restarted}, due by ${t.dueOn}; ${reply}${answer}${marks.map((mark) => `; ${mark}`)} (<a href="/timeliness">how it is counted</a>)`;
}

export function timelinessPage(tally: TimelinessTally, table: { total: number; authorities: AuthorityTimeliness[] }, view: TimelinessView): Html {
  const day = (date: Date | undefined) => (date ? date.toISOString().slice(0, 10) : '');
  const href = (pageNumber: number) => {
    const params = new URLSearchParams({ order: view.order, min: String(view.minRequests) });
    if (view.from) params.set('from', day(view.from));
    if (view.to) params.set('to', day(view.to));
    params.set('page', String(pageNumber));
    return `/timeliness?${params.toString()}`;
  };
  const lastPage = Math.max(1, Math.ceil(table.total / view.limit));
  // search's from and to are the same days, on the same dates
  const dates: Record<string, string> = { ...(view.from ? { from: day(view.from) } : {}), ...(view.to ? { to: day(view.to) } : {}) };
  const sentBetween = view.from || view.to ? ` sent ${view.from ? `from ${day(view.from)}` : ''}${view.from && view.to ? ' ' : ''}${view.to ? `to ${day(view.to)}` : ''}` : '';
  const body = html`<h1>Timeliness</h1>
${timelinessExplained}
<p class="muted"><a href="/api/timeliness">JSON</a></p>
<form class="no-print" action="/timeliness" method="get">
  <label>Sent from <input type="date" name="from" value="${day(view.from)}"></label>
  <label>to <input type="date" name="to" value="${day(view.to)}"></label>
  <label>Order <select name="order">
    <option value="requests"${view.order === 'requests' ? ' selected' : ''}>most requests first</option>
    <option value="late"${view.order === 'late' ? ' selected' : ''}>most often late first</option>
  </select></label>
  <label>At least <input type="number" name="min" min="1" value="${view.minRequests}"> requests</label>
  <button type="submit">Show</button>
</form>
<h2>All requests${sentBetween}</h2>
${timelinessSummary(tally, dates)}
<h2>By authority</h2>
<p class="muted">${table.total} authorit${table.total === 1 ? 'y' : 'ies'}${view.minRequests > 1 ? ` with at least ${view.minRequests} requests` : ''}. “Most often late” orders by the share of the requests due that were answered late or not at all.</p>
<table class="timeliness"><thead><tr><th>Authority</th><th>Requests</th><th>On time</th><th>Late</th><th>No reply, past due</th><th>Median working days</th><th>Answer on time</th><th>Marked overdue</th><th>Internal reviews</th></tr></thead><tbody>${table.authorities.map(
    (row) => html`<tr><td><a href="/authority/${encodeURIComponent(row.authority.urlName)}">${row.authority.name}</a></td><td>${row.requests}</td><td>${row.onTime} (${share(row.onTime, dueCount(row))})</td><td>${searchLink(row.late, 'late', { ...dates, authority: row.authority.urlName })}</td><td>${searchLink(row.overdue, 'overdue', { ...dates, authority: row.authority.urlName })}</td><td>${row.medianWorkingDays ?? '—'}</td><td>${row.answeredOnTime} of ${row.answered}</td><td>${row.markedOverdue}</td><td>${row.internalReviews}</td></tr>`,
  )}</tbody></table>
<nav class="pages" aria-label="Result pages">
  ${view.page > 1 ? html`<a rel="prev" href="${href(view.page - 1)}">← Previous</a>` : ''}
  ${view.page < lastPage ? html`<a rel="next" href="${href(view.page + 1)}">Next →</a>` : ''}
</nav>`;
  return page('Timeliness', body);
}
