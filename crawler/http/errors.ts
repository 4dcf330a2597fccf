/** Base class, so a caller can tell "the polite fetcher refused or gave up" from its own bugs. */
export class HttpFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ContactRequiredError extends HttpFetchError {}

export class OffSiteUrlError extends HttpFetchError {
  constructor(readonly url: string, readonly siteOrigin: string) {
    super(`refusing to fetch ${url}: it is not on ${siteOrigin}, the one site this fetcher is for`);
  }
}

export class RobotsDisallowedError extends HttpFetchError {
  constructor(readonly url: string, reason: string) {
    super(`robots.txt forbids ${url}: ${reason}`);
  }
}

/**
 * robots.txt could not be read (the site unreachable, or a 5xx), so nothing may be fetched (RFC 9309 §2.3.1.4). Every
 * URL is refused alike until it can be read: a run stops on it, to be resumed by the next crawl.
 */
export class RobotsUnavailableError extends RobotsDisallowedError {
  constructor(url: string, reason: string) {
    super(url, reason);
    this.message = `not fetching ${url}: ${reason}`;
  }
}

/** A WAF challenge: the site is asking for a browser. We stop and ask the operators instead. */
export class ChallengeError extends HttpFetchError {
  constructor(readonly url: string, readonly status: number, readonly signal: string) {
    super(
      `the site answered ${url} with a bot challenge (HTTP ${status}, ${signal}); ` +
        'wdtk-archive does not work around challenges: stop, and contact the site (for WhatDoTheyKnow: mySociety) to ask for access',
    );
  }
}

export class BudgetExhaustedError extends HttpFetchError {
  constructor(readonly maxRequests: number, readonly url: string) {
    super(`request budget of ${maxRequests} used up; not fetching ${url}`);
  }
}

export class FetchFailedError extends HttpFetchError {
  constructor(
    readonly url: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The site asked us to wait longer than we are willing to sit idle: the run should stop, not hang. */
export class RetryAfterTooLongError extends FetchFailedError {
  constructor(url: string, status: number, readonly retryAfterMs: number, readonly capMs: number) {
    super(
      url,
      `the site asked us to wait ${Math.round(retryAfterMs / 1000)} s (Retry-After on HTTP ${status} for ${url}), ` +
        `more than the ${Math.round(capMs / 1000)} s we wait within a run; stopping, try again later`,
      status,
    );
  }
}

/**
 * Attempt after attempt failed (5xx, resets, timeouts), whatever the URL: the site looks down, and knocking on would
 * only add to its trouble. A run stops on it, to be resumed by the next crawl.
 */
export class SiteDownError extends FetchFailedError {
  constructor(
    url: string,
    readonly consecutiveFailures: number,
    lastFailure: string,
    status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      url,
      `the site appears to be down: ${consecutiveFailures} attempts in a row failed (the last: ${lastFailure} for ${url}); ` +
        'stopping rather than add to its load, try again once it is back',
      status,
      options,
    );
  }
}

export class BodyTooLargeError extends HttpFetchError {
  constructor(readonly url: string, readonly limitBytes: number) {
    super(`response body of ${url} is larger than the ${limitBytes}-byte limit`);
  }
}

/** The attachment is still being masked (the "Attachment processing…" interstitial); fetch `url` again later. */
export class MaskingPendingError extends HttpFetchError {
  constructor(readonly url: string, readonly interstitialUrl: string) {
    super(`attachment ${url} is still being prepared by the site (${interstitialUrl}); re-queue it for later`);
  }
}
