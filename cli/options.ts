import { UsageError } from './errors.js';

/**
 * A whole number in plain decimal digits from min to max. Number() alone would take 0x10, 1e3 and " 7", and a value
 * past what the command can use reaches the database or the network as an error of theirs.
 */
export function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`${flag} takes a whole number from ${min} to ${max} in plain digits, not "${value}"`);
    return n;
  };
}

/** A number above 0 and up to max in plain decimal digits, with a fraction if need be: 0.5, 2, 100. */
export function positiveDecimal(flag: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^[0-9]{1,16}(\.[0-9]{1,16})?$/.test(value) ? Number(value) : Number.NaN;
    if (!(n > 0 && n <= max)) throw new UsageError(`${flag} takes a number above 0 and up to ${max} in plain digits, such as 0.5, not "${value}"`);
    return n;
  };
}

/**
 * An http(s) address at the root of its host, for `flag` (its error names the flag and an `example`). The site's: an
 * Alaveteli site lives at the root of its host, and every URL the crawler asks for is built from it. The web UI's:
 * its pages link from the root. A path, query or fragment would be dropped, so it is refused.
 */
export function rootUrl(flag: string, what: string, example: string): (value: string) => string {
  return (value) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new UsageError(`${flag} takes ${what}'s http(s) address, such as ${example}, not "${value}"`);
    }
    // "?" and "#" with nothing after them leave search and hash empty, so the text is checked too.
    if (url.pathname !== '/' || /[?#]/.test(value)) {
      throw new UsageError(`${flag} takes the root address of ${what}, such as ${example}, with no path, query or fragment, not "${value}"`);
    }
    return value;
  };
}

export const siteUrl = rootUrl('--site', 'an Alaveteli site', 'https://www.whatdotheyknow.com');

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A length of time as a whole number of seconds, minutes or hours (`45s`, `90m`, `4h`), in milliseconds, up to `maxMs`. */
export function duration(flag: string, maxMs: number): (value: string) => number {
  return (value) => {
    const match = /^(\d{1,9})([smh])$/.exec(value);
    const ms = match ? Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS] : Number.NaN;
    if (!(ms >= 1000 && ms <= maxMs)) {
      throw new UsageError(`${flag} takes a length of time such as 45s, 90m or 4h, from 1s to ${maxMs / 3_600_000}h, not "${value}"`);
    }
    return ms;
  };
}

/**
 * Accepts YYYY-MM-DD (what users type), a day on the calendar, and returns the first millisecond of that day in UTC,
 * or with `endOfDay` its last: "on or before D" then takes in everything made during D, as the web UI's `to` does.
 */
export function isoDate(flag: string, edge: 'startOfDay' | 'endOfDay' = 'startOfDay'): (value: string) => Date {
  return (value) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new UsageError(`${flag} takes a date as YYYY-MM-DD, not "${value}"`);
    const date = new Date(`${value}T${edge === 'endOfDay' ? '23:59:59.999' : '00:00:00.000'}Z`);
    // Date rolls an impossible day over (2025-02-30 is 2 March), so the day must read back as given.
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw new UsageError(`${flag}: "${value}" is not a real date`);
    return date;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
