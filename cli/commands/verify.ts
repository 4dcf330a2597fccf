import type { Command } from 'commander';
import type { VerifyProblem } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';

const KINDS: VerifyProblem['kind'][] = ['missing', 'changed', 'unreadable'];

function describeProblem(problem: VerifyProblem): string {
  switch (problem.kind) {
    case 'missing':
      return `missing  ${problem.sha256}`;
    case 'changed':
      return `changed  ${problem.sha256} now hashes to ${problem.actual}`;
    case 'unreadable':
      return `unreadable ${problem.sha256} (${problem.reason})`;
  }
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-hash every stored original and report any missing, changed or unreadable (exit 1 if any), and any object no row names')
    .option('--remove-unindexed', 'delete stored objects no row names, once untouched for 10 minutes (not while a crawl or a snapshot runs)')
    .action(async (flags: { removeUnindexed?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      // A crawl or a snapshot storing originals makes this throw OriginalsInUseError, which the program reports in one line.
      const report = await withArchive(globals, (archive) => archive.verify({ removeUnindexed: flags.removeUnindexed ?? false }));
      if (globals.json) printJson(report);
      else {
        const counts = KINDS.map((kind) => `${report.problems.filter((p) => p.kind === kind).length} ${kind}`);
        process.stdout.write(`checked ${report.checked} originals: ${report.ok} ok, ${counts.join(', ')}\n`);
        for (const problem of report.problems) process.stdout.write(`${describeProblem(problem)}\n`);
        if (report.unindexed.length > 0) {
          // Left by a run or purge killed between an object and its row: nothing points at them.
          process.stdout.write(`${report.unindexed.length} stored object${report.unindexed.length === 1 ? '' : 's'} no row names`);
          process.stdout.write(flags.removeUnindexed ? `, ${report.removed.length} removed\n` : ' (--remove-unindexed deletes them)\n');
          const removed = new Set(report.removed);
          for (const sha of report.unindexed) process.stdout.write(`${removed.has(sha) ? 'removed  ' : 'unindexed'} ${sha}\n`);
        }
      }
      const bad = report.problems.length;
      if (bad > 0) throw new CliError(`${bad} original${bad === 1 ? '' : 's'} failed verification`);
    });
}
