import { UsageError } from './errors.js';

/** Parses a positive integer flag value, or fails as bad usage naming the flag. */
export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number of 1 or more, not "${value}"`);
    return n;
  };
}

export function nonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number of 0 or more, not "${value}"`);
    return n;
  };
}

/** An http(s) URL: the site's address, which every other URL the crawler asks for is built on. */
export function siteUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new UsageError(`--site takes the site's http(s) address, such as https://www.whatdotheyknow.com, not "${value}"`);
  }
  return value;
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
