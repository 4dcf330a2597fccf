import type { Command } from 'commander';
import type { SearchHit, SearchResult } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { formatSnippet, formatTotal, printable } from '../format.js';
import { wholeNumber } from '../options.js';
import { addSearchFilters, checkFilters, limitOption, toSearchQuery, type SearchFlags } from '../query-options.js';

export function registerSearch(program: Command): void {
  addSearchFilters(
    program
      .command('search')
      .description('ranked hits with snippets over requests and document pages (websearch syntax: "a phrase", -word, or)')
      .argument('[query]', 'words to find; omit to list by filters alone'),
  )
    .option(...limitOption)
    .option('--offset <n>', 'skip this many hits', wholeNumber('--offset', 0, 1_000_000_000), 0)
    .action(async (text: string | undefined, flags: SearchFlags, command: Command) => {
      const globals = globalsOf(command);
      const query = toSearchQuery(text, flags);
      const result = await withArchive(globals, async (archive) => {
        await checkFilters(archive, query);
        return archive.search(query);
      });
      if (globals.json) printJson(result);
      else process.stdout.write(formatResult(result, flags.offset ?? 0));
    });
}

function formatResult(result: SearchResult, offset: number): string {
  if (result.total === 0) return 'no hits\n';
  const lines = [`${formatTotal(result.total, result.totalIsEstimate)}; showing ${offset + 1}-${offset + result.hits.length}`, ''];
  result.hits.forEach((hit, index) => lines.push(...formatHit(hit, offset + index + 1), ''));
  const facets = result.facets.status.map((f) => `${f.label} ${f.count}`).join(', ');
  if (facets) lines.push(printable(`by status: ${facets}`));
  return `${lines.join('\n')}\n`;
}

function formatHit(hit: SearchHit, position: number): string[] {
  const where = hit.attachment ? `  ${hit.attachment.filename ?? hit.attachment.sha256} p.${hit.attachment.page} (attachment ${hit.attachment.id})` : '';
  const snippet = formatSnippet(hit);
  const about = [
    `${position}. ${hit.title}  [${hit.urlTitle}]`,
    `   ${hit.authority.name} · ${hit.status}${hit.date ? ` · ${hit.date.slice(0, 10)}` : ''}${where}`,
    ...(hit.removedAt ? [`   REMOVED from the site ${hit.removedAt.slice(0, 10)}: ${hit.removalReason ?? 'no reason recorded'}`] : []),
    ...(hit.unlisted ? ['   UNLISTED: the site serves it by its link but keeps it off its listings and search'] : []),
  ];
  // The snippet is printable already, and may carry the reverse video that marks its matches.
  return [...about.map(printable), ...(snippet ? [`   ${snippet}`] : [])];
}
