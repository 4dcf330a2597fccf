import type { Command } from 'commander';
import { globalsOf, withArchive } from '../context.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('index database maintenance');
  db.command('migrate')
    .description('apply pending schema migrations (also done on every start)')
    .action(async (_opts: unknown, command: Command) => {
      await withArchive(
        globalsOf(command),
        async (archive) => {
          await archive.migrate();
          process.stdout.write(`migrations applied (${archive.mode.db})\n`);
        },
        { create: true },
      );
    });
}
