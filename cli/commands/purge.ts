import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';

export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('erase a request, its rows and the originals no other request shares (cannot be undone; not while a crawl or a snapshot runs)')
    .argument('<slug_or_id>', "the request's url_title, or its numeric id on the site")
    .action(async (slugOrId: string, _flags: unknown, command: Command) => {
      const globals = globalsOf(command);
      const result = await withArchive(globals, (archive) => archive.purge(slugOrId));
      if (globals.json) printJson(result);
      else process.stdout.write(`purged ${slugOrId}: ${result.blobsDeleted} originals erased, ${result.blobsKept} kept (shared with other requests)\n`);
    });
}
