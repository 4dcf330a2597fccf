/** `wrong-type`: a 200 that is not the kind of answer asked for (a maintenance page answering a JSON or attachment URL). */
export type RetryReason = 'status' | 'retry-after' | 'reset' | 'timeout' | 'truncated' | 'wrong-type';

/**
 * Retry-After (RFC 9110 §10.2.3) as ms to wait: delta-seconds (digits only) or an HTTP-date. A date is measured
 * against the response's own Date when that is valid, so a site whose clock is off still gets the wait it meant.
 * Anything else is undefined and the caller backs off as without one: V8's lenient Date.parse reads "-5" as a day
 * in 2001, which would make the wait 0.
 */
export function parseRetryAfter(value: string | undefined, responseDate: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const retryAtMs = parseHttpDate(trimmed, nowMs);
  if (retryAtMs === undefined) return undefined;
  const siteNowMs = responseDate === undefined ? undefined : parseHttpDate(responseDate.trim(), nowMs);
  return Math.max(0, retryAtMs - (siteNowMs ?? nowMs));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = `(?<month>${MONTHS.join('|')})`;
const TIME = '(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})';
/** The three forms of RFC 9110 §5.6.7, exactly: case-sensitive, single spaces, GMT only. */
const HTTP_DATE_FORMATS = [
  new RegExp(`^${DAY}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`), // IMF-fixdate
  new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`), // RFC 850
  new RegExp(`^${DAY} ${MONTH} (?<day>\\d{2}| \\d) ${TIME} (?<year>\\d{4})$`), // asctime
];

/** An HTTP-date as ms since the epoch, or undefined if `value` is not one (or names a day or time that does not exist). */
export function parseHttpDate(value: string, nowMs: number): number | undefined {
  const parts = HTTP_DATE_FORMATS.map((format) => format.exec(value)?.groups).find((groups) => groups !== undefined);
  if (!parts) return undefined;
  const [day, hour, minute, second] = [parts['day'], parts['hour'], parts['minute'], parts['second']].map(Number) as [number, number, number, number];
  const month = MONTHS.indexOf(parts['month']!);
  const year = parts['year']!.length === 2 ? rfc850Year(Number(parts['year']), nowMs) : Number(parts['year']);
  if (hour > 23 || minute > 59 || second > 60) return undefined; // 60: a leap second
  const date = new Date(0);
  date.setUTCFullYear(year, month, day); // not Date.UTC, which reads years below 100 as 19xx
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined; // 31 Feb would roll into March
  return date.setUTCHours(hour, minute, second);
}

/** RFC 9110 §5.6.7: the year ending in these two digits nearest now, and not more than 50 years ahead. */
function rfc850Year(twoDigits: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  const yearsAhead = (((twoDigits - thisYear) % 100) + 100) % 100;
  return thisYear + (yearsAhead > 50 ? yearsAhead - 100 : yearsAhead);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const CONNECTION_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // A name that does not resolve is the site out of reach as much as a refused connection is: a resolver's outage
  // answers NXDOMAIN too, and a mistyped --site ends at robots.txt, saying so, after the same few attempts.
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Which transport failures are worth another attempt. `bodyStarted` distinguishes a reset before the
 * response from a body cut short, which we report as truncated.
 */
export function classifyTransportError(error: unknown, bodyStarted: boolean): RetryReason | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (CONNECTION_CODES.has(code) || code.startsWith('HPE_')) return bodyStarted ? 'truncated' : 'reset';
  return undefined;
}
