import type { Command } from 'commander';
import type { Archive, NamingFilter, SearchQuery, TimelinessOutcome } from '../storage/index.js';
import { UsageError } from './errors.js';
import { isoDate, wholeNumber } from './options.js';

// Alaveteli's url_names and statuses, and the archive's sniffed types, are all lower case: a capital in one is a slip.
const lowerCase = (value: string) => value.toLowerCase();

const SORTS = ['relevance', 'date'];

function sortOrder(value: string): string {
  const sort = value.toLowerCase();
  if (!SORTS.includes(sort)) throw new UsageError(`--sort takes ${SORTS.join(' or ')}, not "${value}"`);
  return sort;
}

/** The search filters shared by `search` and `export`. */
export function addSearchFilters(command: Command): Command {
  return command
    .option('--body <url_name>', 'only requests to this authority', lowerCase)
    .option('--status <status>', 'only requests with this status (e.g. successful, rejected, waiting_response)', lowerCase)
    .option('--requester <url_name>', 'only requests by this user', lowerCase)
    .option('--from <date>', 'requests made on or after YYYY-MM-DD', isoDate('--from'))
    .option('--to <date>', 'requests made on or before YYYY-MM-DD', isoDate('--to', 'endOfDay'))
    .option('--type <type>', 'only documents of this type (pdf, docx, xlsx, eml...)', lowerCase)
    .option('--exemption <code>', 'only requests citing this exemption, e.g. "FOIA s40", "EIR 12(5)(e)" (`exemptions --codes` lists them)')
    .option('--timeliness <outcome>', 'only requests whose first reply came on_time or late, or has not come: overdue (past the due date) or waiting (see `timeliness`)')
    .option('--sort <order>', SORTS.join(' or '), sortOrder, 'relevance')
    .option('--include-removed', 'include requests the site has removed')
    .option('--include-unlisted', 'include requests the site keeps off its listings and search, though public by their link (backpage)');
}

export interface SearchFlags {
  body?: string;
  status?: string;
  requester?: string;
  from?: Date;
  to?: Date;
  type?: string;
  exemption?: string;
  timeliness?: string;
  sort: string;
  includeRemoved?: boolean;
  includeUnlisted?: boolean;
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
    exemption: flags.exemption,
    // checkFilters refuses anything but an outcome before the query is run
    timeliness: flags.timeliness as TimelinessOutcome | undefined,
    sort: flags.sort === 'date' ? 'date' : 'relevance',
    limit: flags.limit,
    offset: flags.offset,
    includeRemoved: flags.includeRemoved,
    includeUnlisted: flags.includeUnlisted,
  };
}

const NOT_HELD: Record<Exclude<NamingFilter, 'status'>, (q: SearchQuery) => string> = {
  authority: (q) => `--body ${q.authority}: no authority with that url_name in the archive`,
  requester: (q) => `--requester ${q.requester}: no user with that url_name in the archive`,
  type: (q) => `--type ${q.type}: no document of that type in the archive`,
};

/**
 * Spells the exemption's code as EXEMPTIONS does, and a timeliness outcome as storage does (refusing any other). Refuses a status the site does not have (unless
 * the archive holds requests with it: another Alaveteli site may add its own), and says on stderr which other filters
 * name nothing in the archive, so a typo does not read as "no hits".
 */
export async function checkFilters(archive: Archive, query: SearchQuery): Promise<void> {
  if (query.exemption !== undefined) {
    const { exemptionCode } = await import('../storage/index.js');
    const code = exemptionCode(query.exemption);
    if (!code) throw new UsageError(`--exemption takes a code such as "FOIA s40", "FOISA s38" or "EIR 12(5)(e)" (\`wdtk-archive exemptions --codes\` lists them), not "${query.exemption}"`);
    query.exemption = code;
  }
  if (query.timeliness !== undefined) {
    const { TIMELINESS_OUTCOMES } = await import('../storage/index.js');
    const outcome = TIMELINESS_OUTCOMES.find((known) => known === query.timeliness!.toLowerCase().replace('-', '_'));
    if (!outcome) throw new UsageError(`--timeliness takes ${TIMELINESS_OUTCOMES.join(', ')}, not "${query.timeliness}"`);
    query.timeliness = outcome;
  }
  const unknown = await archive.unknownFilters(query);
  if (unknown.includes('status')) {
    // Loaded only here: the parsers (cheerio) are not needed to search.
    const { statusLabels } = await import('../parsers/index.js');
    const statuses = Object.keys(statusLabels);
    if (!statuses.includes(query.status!)) throw new UsageError(`--status takes one of ${statuses.join(', ')}, not "${query.status}"`);
  }
  for (const filter of unknown) if (filter !== 'status') process.stderr.write(`wdtk-archive: note: ${NOT_HELD[filter](query)}\n`);
}
