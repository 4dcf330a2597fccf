import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-hash every stored original and report any missing or changed (exit 1 if any), and any object no row names')
    .option('--remove-unindexed', 'delete stored objects no row names, once untouched for 10 minutes (not while a crawl or a snapshot runs)')
    .action(async (flags: { removeUnindexed?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      // A crawl or a snapshot storing originals makes this throw OriginalsInUseError, which the program reports in one line.
      const report = await withArchive(globals, (archive) => archive.verify({ removeUnindexed: flags.removeUnindexed ?? false }));
      if (globals.json) printJson(report);
      else {
        process.stdout.write(`checked ${report.checked} originals: ${report.ok} ok, ${report.missing.length} missing, ${report.changed.length} changed\n`);
        for (const sha of report.missing) process.stdout.write(`missing  ${sha}\n`);
        for (const c of report.changed) process.stdout.write(`changed  ${c.sha256} now hashes to ${c.actual}\n`);
        if (report.unindexed.length > 0) {
          // Left by a run or purge killed between an object and its row: nothing points at them.
          process.stdout.write(`${report.unindexed.length} stored object${report.unindexed.length === 1 ? '' : 's'} no row names`);
          process.stdout.write(flags.removeUnindexed ? `, ${report.removed.length} removed\n` : ' (--remove-unindexed deletes them)\n');
          const removed = new Set(report.removed);
          for (const sha of report.unindexed) process.stdout.write(`${removed.has(sha) ? 'removed  ' : 'unindexed'} ${sha}\n`);
        }
      }
      const bad = report.missing.length + report.changed.length;
      if (bad > 0) throw new CliError(`${bad} original${bad === 1 ? '' : 's'} failed verification`);
    });
}
