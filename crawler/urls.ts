/** The site URLs the crawler visits (wdtk-site-facts §1), built in one place. */

export type RequestRef = { slug: string } | { remoteId: number };

/**
 * What a user may pass to `--request`: a slug, a request URL (any locale prefix, sub-page, query or
 * fragment), or a numeric id. Returns undefined for anything else.
 */
export function parseRequestRef(input: string): RequestRef | undefined {
  const value = input.trim();
  if (/^\d+$/.test(value)) return { remoteId: Number(value) };
  let path = value;
  if (/^https?:\/\//i.test(value)) {
    try {
      const match = /^(?:\/[a-z]{2}(?:_[A-Z]{2})?)?\/request\/([^/?#]+)/.exec(new URL(value).pathname);
      if (!match?.[1]) return undefined;
      path = decodeURIComponent(match[1]).replace(/\.json$/, '');
    } catch {
      // Not a URL, or a slug whose percent-escapes do not decode.
      return undefined;
    }
    return /^\d+$/.test(path) ? { remoteId: Number(path) } : { slug: path };
  }
  return /^[a-z0-9_]+$/.test(path) ? { slug: path } : undefined;
}

export function isUrlName(value: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value);
}

export class SiteUrls {
  readonly origin: string;

  constructor(baseUrl: string) {
    this.origin = new URL(baseUrl).origin;
  }

  requestJson(slugOrId: string | number): string {
    return `${this.origin}/request/${encodeURIComponent(String(slugOrId))}.json`;
  }

  /** Unfolded, so quoted email text is in the page we keep. */
  requestPage(slug: string): string {
    return `${this.origin}/request/${encodeURIComponent(slug)}?unfold=1`;
  }

  authoritiesCsv(): string {
    return `${this.origin}/body/all-authorities.csv`;
  }

  /** `/list`, `/body/<x>` or `/user/<x>`, with an optional request-date window and page. */
  listing(basePath: string, opts: { page?: number; window?: DateWindow } = {}): string {
    const url = new URL(basePath, this.origin);
    if (opts.window) {
      url.searchParams.set('request_date_after', siteDate(opts.window.from));
      url.searchParams.set('request_date_before', siteDate(opts.window.to));
    }
    if (opts.page !== undefined && opts.page > 1) url.searchParams.set('page', String(opts.page));
    return url.href;
  }
}

export function bodyPath(urlName: string): string {
  return `/body/${encodeURIComponent(urlName)}`;
}

export function userPath(urlName: string): string {
  return `/user/${encodeURIComponent(urlName)}`;
}

/** Inclusive range of whole days, as YYYY-MM-DD. */
export interface DateWindow {
  from: string;
  to: string;
}

/** The listing filters take dd/mm/yyyy. */
export function siteDate(isoDay: string): string {
  const [year, month, day] = isoDay.split('-');
  return `${day}/${month}/${year}`;
}

const DAY_MS = 86_400_000;

export function dayCount(window: DateWindow): number {
  return Math.round((Date.parse(`${window.to}T00:00:00Z`) - Date.parse(`${window.from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Two halves of a window of two days or more; the first half takes the middle day. */
export function splitWindow(window: DateWindow): [DateWindow, DateWindow] | undefined {
  const days = dayCount(window);
  if (days < 2) return undefined;
  const start = Date.parse(`${window.from}T00:00:00Z`);
  const firstEnd = new Date(start + (Math.ceil(days / 2) - 1) * DAY_MS).toISOString().slice(0, 10);
  const secondStart = new Date(start + Math.ceil(days / 2) * DAY_MS).toISOString().slice(0, 10);
  return [
    { from: window.from, to: firstEnd },
    { from: secondStart, to: window.to },
  ];
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
