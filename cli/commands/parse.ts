import { basename } from 'node:path';
import type { Command } from 'commander';
import { printJson } from '../context.js';
import { assertReadable, readTextFile } from '../files.js';

export function registerParse(program: Command): void {
  const parse = program.command('parse').description('print what the parsers make of a saved page or a document, as JSON');
  parse
    .command('page')
    .description('parse a saved site page (request, removed notice, listing)')
    .argument('<file>', 'saved HTML page')
    .option('--url <url>', 'the URL the page was fetched from (makes links absolute)')
    .action(async (file: string, opts: { url?: string }) => {
      const { parsePage } = await import('../../parsers/index.js');
      printJson(parsePage(await readTextFile(file), opts.url ? { url: opts.url } : {}));
    });
  parse
    .command('doc')
    .description('extract the text and metadata of a document (PDF, Office, email, zip, ...)')
    .argument('<file>', 'document file')
    .action(async (file: string) => {
      const { extractIsolated } = await import('../../parsers/index.js');
      await assertReadable(file);
      printJson(await extractIsolated(file, { filename: basename(file) }));
    });
}
