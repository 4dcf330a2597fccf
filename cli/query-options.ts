import type { Command } from 'commander';
import type { SearchQuery } from '../storage/index.js';
import { isoDate, wholeNumber } from './options.js';

/** The search filters shared by `search` and `export`. */
export function addSearchFilters(command: Command): Command {
  return command
    .option('--body <url_name>', 'only requests to this authority')
    .option('--status <status>', 'only requests with this status (e.g. successful, rejected, waiting_response)')
    .option('--requester <url_name>', 'only requests by this user')
    .option('--from <date>', 'requests made on or after YYYY-MM-DD', isoDate('--from'))
    .option('--to <date>', 'requests made on or before YYYY-MM-DD', isoDate('--to', 'endOfDay'))
    .option('--type <type>', 'only documents of this type (pdf, docx, xlsx, eml...)')
    .option('--sort <order>', 'relevance or date', 'relevance')
    .option('--include-removed', 'include requests the site has removed');
}

export interface SearchFlags {
  body?: string;
  status?: string;
  requester?: string;
  from?: Date;
  to?: Date;
  type?: string;
  sort: string;
  includeRemoved?: boolean;
  limit?: number;
  offset?: number;
}

/** A search reads at most this many hits at once (storage caps a page there). */
const MAX_LIMIT = 1000;

export const limitOption = ['--limit <n>', `hits per page, up to ${MAX_LIMIT}`, wholeNumber('--limit', 1, MAX_LIMIT), 20] as const;

export function toSearchQuery(text: string | undefined, flags: SearchFlags): SearchQuery {
  return {
    text: text?.trim() || undefined,
    authority: flags.body,
    status: flags.status,
    requester: flags.requester,
    from: flags.from,
    to: flags.to,
    type: flags.type,
    sort: flags.sort === 'date' ? 'date' : 'relevance',
    limit: flags.limit,
    offset: flags.offset,
    includeRemoved: flags.includeRemoved,
  };
}
