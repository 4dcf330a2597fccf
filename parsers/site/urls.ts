export const defaultSiteUrl = 'https://www.whatdotheyknow.com';

// An optional locale prefix (/cy/, /en/, /en_GB/) may precede any path.
const localePrefix = String.raw`(?:/[a-z]{2}(?:_[A-Z]{2})?)?`;
const requestPath = new RegExp(`^${localePrefix}/request/([^/?#.]+)`);
const bodyPath = new RegExp(`^${localePrefix}/body/([^/?#.]+)`);
const userPath = new RegExp(`^${localePrefix}/user/([^/?#.]+)`);

function pathOf(href: string): string | undefined {
  try {
    return new URL(href, defaultSiteUrl).pathname;
  } catch {
    return undefined;
  }
}

/** A slug whose percent-escapes do not decode (`%E0%A4%A`) names nothing the site could have made: no slug. */
function slugFrom(pattern: RegExp, href: string): string | undefined {
  const path = pathOf(href);
  const slug = path === undefined ? undefined : pattern.exec(path)?.[1];
  if (slug === undefined) return undefined;
  try {
    return decodeURIComponent(slug);
  } catch {
    return undefined;
  }
}

/** The `url_title` of a request link, e.g. `/request/foo#incoming-1` → `foo`. */
export function requestSlugFromHref(href: string): string | undefined {
  return slugFrom(requestPath, href);
}

export function bodySlugFromHref(href: string): string | undefined {
  return slugFrom(bodyPath, href);
}

export function userSlugFromHref(href: string): string | undefined {
  return slugFrom(userPath, href);
}

/** Resolves a link against the page URL, or the public site when the page URL is unknown. */
export function absoluteUrl(href: string, pageUrl: string | undefined): string | undefined {
  try {
    return new URL(href, pageUrl ?? defaultSiteUrl).href;
  } catch {
    return undefined;
  }
}

/**
 * The one URL a request is archived under: `<origin>/request/<url_title>`, with any
 * locale prefix, sub-page, format suffix, query (`nocache`, `unfold`, `utm_*`) and fragment dropped.
 * Returns undefined when the URL is not a request URL.
 */
export function canonicalRequestUrl(url: string, base: string = defaultSiteUrl): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return undefined;
  }
  const slug = requestPath.exec(parsed.pathname)?.[1];
  if (slug === undefined) return undefined;
  return `${parsed.origin}/request/${slug}`;
}
