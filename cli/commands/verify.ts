import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-hash every stored original and report any missing or changed (exit 1 if any)')
    .action(async (_flags: unknown, command: Command) => {
      const globals = globalsOf(command);
      const report = await withArchive(globals, (archive) => archive.verify());
      if (globals.json) printJson(report);
      else {
        process.stdout.write(`checked ${report.checked} originals: ${report.ok} ok, ${report.missing.length} missing, ${report.changed.length} changed\n`);
        for (const sha of report.missing) process.stdout.write(`missing  ${sha}\n`);
        for (const c of report.changed) process.stdout.write(`changed  ${c.sha256} now hashes to ${c.actual}\n`);
      }
      const bad = report.missing.length + report.changed.length;
      if (bad > 0) throw new CliError(`${bad} original${bad === 1 ? '' : 's'} failed verification`);
    });
}
