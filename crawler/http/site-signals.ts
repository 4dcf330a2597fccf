/** Recognising what the site (or the WAF in front of it) is telling us beyond the status code. */

const CHALLENGE_STATUSES = new Set([403, 418, 429, 503]);

const CHALLENGE_BODY_MARKERS: { pattern: RegExp; signal: string }[] = [
  { pattern: /<title>\s*Just a moment\.\.\.\s*<\/title>/i, signal: 'a "Just a moment..." page' },
  { pattern: /Attention Required!?\s*\|?\s*Cloudflare|<title>\s*Attention Required/i, signal: 'an "Attention Required" page' },
  { pattern: /challenge-platform|_cf_chl_opt|cf-chl-/i, signal: 'a challenge-platform script' },
];

/** Returns what gave the challenge away, or undefined for an ordinary response (e.g. Alaveteli's own 403 pages). */
export function detectChallenge(status: number, headers: Record<string, string>, body: Buffer | undefined): string | undefined {
  if ((headers['cf-mitigated'] ?? '').toLowerCase().includes('challenge')) return 'cf-mitigated: challenge header';
  if (!CHALLENGE_STATUSES.has(status) || !body) return undefined;
  // Challenge pages are small; looking at the head of the body is enough and keeps this cheap.
  const head = body.subarray(0, 256 * 1024).toString('latin1');
  return CHALLENGE_BODY_MARKERS.find(({ pattern }) => pattern.test(head))?.signal;
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
