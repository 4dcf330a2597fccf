import * as cheerio from 'cheerio';
import type { CheerioAPI } from 'cheerio';

export type { CheerioAPI };

export function loadHtml(html: string): CheerioAPI {
  return cheerio.load(html);
}

/** Blocks that hold site chrome, where nothing may be read as correspondence. */
export const chromeSelector =
  '#right_column, .sidebar, #notes, .describe_state_form, #after_actions, .request_short_listing, .sidebar__similar-requests';

export function firstMatch(pattern: RegExp, value: string | undefined): string | undefined {
  return value === undefined ? undefined : pattern.exec(value)?.[1];
}

export function toInteger(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number.parseInt(value.replace(/[,\s]/g, ''), 10);
  return Number.isSafeInteger(number) ? number : undefined;
}
