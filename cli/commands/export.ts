import { createWriteStream } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { globalsOf, withArchive } from '../context.js';
import { UsageError } from '../errors.js';
import { addSearchFilters, checkFilters, toSearchQuery, type SearchFlags } from '../query-options.js';

const FORMATS = ['jsonl', 'csv', 'warc'] as const;

export function registerExport(program: Command): void {
  addSearchFilters(
    program
      .command('export')
      .description('stream a whole result set, with no cap: rows as JSON Lines or CSV, or the captures behind it as WARC/1.1')
      .argument('[query]', 'words to find; omit to export everything the filters select'),
  )
    .requiredOption('--format <format>', `one of ${FORMATS.join(', ')}`)
    .option('-o, --output <file>', 'write here instead of standard output')
    .action(async (text: string | undefined, flags: SearchFlags & { format: string; output?: string }, command: Command) => {
      if (!(FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}, not "${flags.format}"`);
      const { exportStream, writeWarc } = await import('../../web/index.js');
      const query = toSearchQuery(text, flags);
      await withArchive(globalsOf(command), async (archive) => {
        await checkFilters(archive, query);
        // Opened once the filters are taken: a refused one leaves no empty file behind.
        const out = flags.output ? createWriteStream(flags.output) : process.stdout;
        if (flags.format === 'warc') {
          const { records } = await writeWarc(archive, query, out);
          if (flags.output) {
            out.end();
            await finished(out);
          }
          process.stderr.write(`${records} WARC records written\n`);
        } else {
          await pipeline(exportStream(archive, query, flags.format as 'jsonl' | 'csv'), out, { end: Boolean(flags.output) });
        }
      });
    });
}
