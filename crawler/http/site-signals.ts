/** Recognising what the site (or the WAF in front of it) is telling us beyond the status code. */

const CHALLENGE_STATUSES = new Set([403, 418, 429, 503]);

const CHALLENGE_BODY_MARKERS: { pattern: RegExp; signal: string }[] = [
  { pattern: /<title>\s*Just a moment\.\.\.\s*<\/title>/i, signal: 'a "Just a moment..." page' },
  { pattern: /Attention Required!?\s*\|?\s*Cloudflare|<title>\s*Attention Required/i, signal: 'an "Attention Required" page' },
  { pattern: /challenge-platform|_cf_chl_opt|cf-chl-/i, signal: 'a challenge-platform script' },
];

// Alaveteli's own refusals (facts §6.3-6.4): a hidden request's JSON is a 403 with an empty body, and its page, a
// hidden message's or attachment's URL a 403 page headed "… has been removed" or "… has been erased" with the
// `hidden_message` notice (the class, for sites translated into other languages).
const SITE_REMOVAL_PAGE = /<h1[^>]*>\s*(?:Request|Message|Attachment) has been (?:removed|erased)\s*<\/h1>|class="[^"]*\bhidden_message\b/i;

/**
 * Returns what gave a block away, or undefined for an ordinary response. Besides the WAF's own markers: any 418, and a
 * 403 that is not one of the site's removal answers. Such a 403 comes from something in front of the site refusing us,
 * and read as "removed" it would mark every request checked after it as gone.
 */
export function detectChallenge(status: number, headers: Record<string, string>, body: Buffer | undefined): string | undefined {
  if ((headers['cf-mitigated'] ?? '').toLowerCase().includes('challenge')) return 'cf-mitigated: challenge header';
  if (!CHALLENGE_STATUSES.has(status)) return undefined;
  // Challenge pages are small; looking at the head of the body is enough and keeps this cheap.
  const head = body?.subarray(0, 256 * 1024).toString('latin1') ?? '';
  const marker = CHALLENGE_BODY_MARKERS.find(({ pattern }) => pattern.test(head))?.signal;
  if (marker) return marker;
  if (status === 418) return 'a 418 refusal';
  if (status === 403 && head.trim() !== '' && !SITE_REMOVAL_PAGE.test(head)) return 'a 403 that is not one of the site\'s own "has been removed" answers';
  return undefined;
}

/** `/attachments/<signed id>/wait` and `/done`: the masking interstitial of §7.5. */
export function isMaskingInterstitialPath(url: URL): boolean {
  return /^(?:\/[a-z]{2}(?:_[A-Z]{2})?)?\/attachments\/[^/]+\/(?:wait|done)\/?$/.test(url.pathname);
}

const MASKING_HEADING = /<h1[^>]*>\s*Attachment (?:processing|available for download)/i;

export function isMaskingInterstitialPage(headers: Record<string, string>, body: Buffer): boolean {
  if (!(headers['content-type'] ?? '').toLowerCase().includes('text/html')) return false;
  return MASKING_HEADING.test(body.subarray(0, 256 * 1024).toString('utf8'));
}

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
