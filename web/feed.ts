import type { ArchivedMatch, SearchQuery } from '../storage/index.js';
import { withParams } from './query.js';

/** How many of the newest matches a feed lists. */
export const FEED_SIZE = 50;

export const ATOM_CONTENT_TYPE = 'application/atom+xml; charset=utf-8';

/** The filters of a search as a feed's query string: what it follows, without paging or order, which a feed has not. */
export function feedParams(params: Record<string, string | undefined>): string {
  return withParams(params, { sort: undefined, page: undefined, limit: undefined });
}

// XML 1.0 admits tab, newline, carriage return and U+0020 on, less the surrogates, U+FFFE and U+FFFF. Anything else
// in a title or a document's text (a C0 control such as U+0007, a lone surrogate) would make the whole feed
// unreadable to a conforming parser, so it becomes U+FFFD, as `show` and `search` print it.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text or an attribute value (attributes are written in double quotes), escaped and made of XML 1.0 characters only. */
function xml(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"]/g, (c) => ESCAPES[c]!);
}

const textElement = (name: string, value: string) => `<${name} type="text">${xml(value)}</${name}>`;
const link = (rel: string, type: string, href: string) => `<link rel="${rel}" type="${type}" href="${xml(href)}"/>`;
// scheme + term is the search for that value, so a reader that follows a category finds the rest of it.
const category = (origin: string, param: string, term: string, label: string) =>
  `<category scheme="${xml(`${origin}/search?${param}=`)}" term="${xml(term)}" label="${xml(label)}"/>`;

function feedTitle(query: SearchQuery): string {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const filters = [
    query.authority && `authority ${query.authority}`,
    query.status && `status ${query.status}`,
    query.requester && `requester ${query.requester}`,
    query.from && `from ${day(query.from)}`,
    query.to && `to ${day(query.to)}`,
    query.type && `type ${query.type}`,
  ].filter(Boolean);
  const what = query.text ? `“${query.text}”` : 'new in the archive';
  return `wdtk-archive: ${what}${filters.length ? ` (${filters.join(', ')})` : ''}`;
}

function entry(match: ArchivedMatch, origin: string, text: string | undefined): string {
  const doc = match.attachment;
  // The id names the item, not how it was found: the request by the site's id, which survives a rename of its slug.
  const id = doc ? `${origin}/attachment/${doc.id}` : `${origin}/request/${match.remoteId}`;
  const highlight = text ? `?${new URLSearchParams({ q: text })}` : '';
  const href = doc ? `${origin}/attachment/${doc.id}${highlight}#page-${doc.page}` : `${origin}/request/${encodeURIComponent(match.urlTitle)}`;
  const title = doc ? `${doc.filename ?? `attachment ${doc.id}`} — ${match.title}` : match.title;
  const summary = match.snippetParts.map((part) => part.text).join('');
  return [
    '<entry>',
    `<id>${xml(id)}</id>`,
    textElement('title', title),
    link('alternate', 'text/html', href),
    `<updated>${match.archivedAt}</updated>`,
    summary ? textElement('summary', summary) : '',
    category(origin, 'status', match.status, `Status: ${match.status}`),
    category(origin, 'authority', match.authority.urlName, match.authority.name),
    doc?.type ? category(origin, 'type', doc.type, `File type: ${doc.type}`) : '',
    '</entry>',
  ].join('');
}

/**
 * An Atom 1.0 feed of a search's newest matches. Written here rather than with a feed library: the ones at hand
 * mark titles and summaries as HTML (a title reading `<script>` would then be markup to the reader) and pass
 * control characters through into a document XML forbids them in. Every link is absolute, on the origin the feed
 * was asked for, and carries no read token.
 */
export function atomFeed(
  matches: ArchivedMatch[],
  opts: { origin: string; params: Record<string, string | undefined>; query: SearchQuery; generatedAt: Date },
): string {
  const { origin, query } = opts;
  const filters = feedParams(opts.params);
  const self = `${origin}/search.atom${filters}`;
  const updated = matches[0]?.archivedAt ?? opts.generatedAt.toISOString();
  return [
    '<?xml version="1.0" encoding="utf-8"?>\n',
    '<feed xmlns="http://www.w3.org/2005/Atom">\n',
    `<id>${xml(self)}</id>\n`,
    `${textElement('title', feedTitle(query))}\n`,
    `${textElement('subtitle', 'Requests and released documents matching this search, newest in the archive first')}\n`,
    `<updated>${updated}</updated>\n`,
    `${link('self', 'application/atom+xml', self)}\n`,
    `${link('alternate', 'text/html', `${origin}/search${filters}`)}\n`,
    '<author><name>wdtk-archive</name></author>\n',
    '<generator>wdtk-archive</generator>\n',
    ...matches.map((match) => `${entry(match, origin, query.text)}\n`),
    '</feed>\n',
  ].join('');
}
