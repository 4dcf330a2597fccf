import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Archive, SearchQuery } from '../../storage/index.js';
import { globalsOf, withArchive } from '../context.js';
import { UsageError } from '../errors.js';
import { replaceThroughTemporary } from '../files.js';
import { addSearchFilters, checkFilters, toSearchQuery, type SearchFlags } from '../query-options.js';

const FORMATS = ['jsonl', 'csv', 'warc'] as const;
type Format = (typeof FORMATS)[number];

export function registerExport(program: Command): void {
  addSearchFilters(
    program
      .command('export')
      .description('stream a whole result set, with no cap: rows as JSON Lines or CSV, or the captures behind it as WARC/1.1')
      .argument('[query]', 'words to find; omit to export everything the filters select'),
  )
    .requiredOption('--format <format>', `one of ${FORMATS.join(', ')}`)
    .option('-o, --output <file>', 'write here instead of standard output, only once the export has succeeded (its directory is created if missing)')
    .action(async (text: string | undefined, flags: SearchFlags & { format: string; output?: string }, command: Command) => {
      if (!(FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}, not "${flags.format}"`);
      const format = flags.format as Format;
      const query = toSearchQuery(text, flags);
      const records = await withArchive(globalsOf(command), async (archive) => {
        // Checked before any file is made: a refused filter leaves nothing behind.
        await checkFilters(archive, query);
        const output = flags.output;
        if (!output) return writeExport(archive, query, format, process.stdout, false);
        await mkdir(path.dirname(output), { recursive: true });
        // A failed export (an original that no longer matches its sha256, a full disk) leaves the file that was there.
        return replaceThroughTemporary(output, async (temporary) => {
          const file = createWriteStream(temporary, { flags: 'wx', flush: true });
          try {
            return await writeExport(archive, query, format, file, true);
          } finally {
            file.destroy();
          }
        });
      });
      if (records !== null) process.stderr.write(`${records} WARC records written\n`);
    });
}

/** Writes the export to `out`, which it ends (and waits for) when `end` is set; returns the WARC records written. */
async function writeExport(archive: Archive, query: SearchQuery, format: Format, out: Writable, end: boolean): Promise<number | null> {
  const { exportStream, writeWarc } = await import('../../web/index.js');
  if (format !== 'warc') {
    await pipeline(exportStream(archive, query, format), out, { end });
    return null;
  }
  const { records } = await writeWarc(archive, query, out);
  if (end) {
    out.end();
    await finished(out);
  }
  return records;
}
