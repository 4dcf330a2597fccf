import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Every page: hono's html`` escapes each interpolated value, so user data never becomes markup. */
export function page(
  title: string,
  body: Html,
  opts: {
    query?: string;
    /** the page's Atom feed, which a browser or a feed reader finds from the page */
    feed?: { href: string; title: string };
  } = {},
): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · wdtk-archive</title>
<link rel="stylesheet" href="/static/style.css">
${opts.feed ? html`<link rel="alternate" type="application/atom+xml" title="${opts.feed.title}" href="${opts.feed.href}">` : ''}
</head>
<body>
<header class="site">
  <a class="home" href="/">wdtk-archive</a>
  <nav><a href="/">Search</a><a href="/exemptions">Exemptions</a><a href="/timeliness">Timeliness</a><a href="/runs">Runs</a><a href="/api/openapi.json">API</a></nav>
  <form class="search no-print" action="/search" method="get" role="search">
    <input type="search" name="q" value="${opts.query ?? ''}" aria-label="Search the archive" placeholder="Search requests and documents">
    <button type="submit">Search</button>
  </form>
</header>
<main>
${body}
</main>
<footer class="site">An archive of public FOI request threads and released documents, kept with checksums and provenance.</footer>
</body>
</html>`;
}

export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? '—' : date.toISOString().slice(0, 10);
}

export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? '—' : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Matched parts in <mark>, everything else escaped. */
export function highlighted(parts: { text: string; match: boolean }[]): Html {
  return html`${parts.map((part) => (part.match ? html`<mark>${part.text}</mark>` : html`${part.text}`))}`;
}

export function notFoundPage(what: string): Html {
  return page('Not found', html`<h1>Not found</h1><p>${what}</p><p><a href="/">Search the archive</a></p>`);
}
