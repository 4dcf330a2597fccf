import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { wholeNumber } from '../options.js';

const SHOWN_COUNTERS = ['requests', 'json', 'pages', 'attachments', 'newRequests', 'changedRequests', 'removedRequests', 'errors'] as const;

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('past crawl runs, newest first, with their counters')
    .option('--limit <n>', 'how many runs', wholeNumber('--limit', 1, 1_000_000), 20)
    .action(async (opts: { limit: number }, command: Command) => {
      const globals = globalsOf(command);
      const { describeRunScope } = await import('../../storage/index.js');
      await withArchive(globals, async (archive) => {
        const runs = await archive.pastRuns(opts.limit);
        if (globals.json) {
          printJson(runs);
          return;
        }
        if (!runs.length) {
          process.stdout.write('no runs yet\n');
          return;
        }
        for (const run of runs) {
          const ended = run.endedAt ? run.endedAt.toISOString() : 'not ended';
          const counters = SHOWN_COUNTERS.map((key) => `${key}=${run.counters[key] ?? 0}`).join(' ');
          process.stdout.write(`#${run.id} ${run.outcome.padEnd(11)} ${run.startedAt.toISOString()} -> ${ended}  ${describeRunScope(run.scope)}\n    ${counters}\n`);
          if (run.error) process.stdout.write(`    ${run.error}\n`);
        }
      });
    });
}
