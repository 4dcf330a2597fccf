import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { wholeNumber } from '../options.js';

const SHOWN_COUNTERS = ['requests', 'json', 'pages', 'attachments', 'newRequests', 'changedRequests', 'removedRequests', 'errors'] as const;

function describeScope(scope: Record<string, unknown>): string {
  const parts: string[] = [];
  if (scope['all']) parts.push('all');
  if (scope['recent']) parts.push('recent');
  const backfill = scope['backfill'] as { from: string; to: string } | null | undefined;
  if (backfill) parts.push(`backfill ${backfill.from}..${backfill.to}`);
  for (const key of ['bodies', 'users', 'requests'] as const) {
    const values = scope[key] as string[] | undefined;
    if (values?.length) parts.push(`${key} ${values.join(',')}`);
  }
  if (scope['ids']) parts.push('ids');
  if (scope['recheck']) parts.push(`recheck ${String(scope['recheck'])}`);
  return parts.join(' ') || '-';
}

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('past crawl runs, newest first, with their counters')
    .option('--limit <n>', 'how many runs', wholeNumber('--limit', 1, 1_000_000), 20)
    .action(async (opts: { limit: number }, command: Command) => {
      const globals = globalsOf(command);
      const { UNFINISHED_RUN_ERROR } = await import('../../storage/index.js');
      await withArchive(globals, async (archive) => {
        // Asked before and after the list: a crawl starting or ending in between still counts as going on.
        const heldBefore = await archive.runLockHeld();
        const runs = await archive.runs.list(opts.limit);
        // Killed outright, a crawl cannot record its end; the next crawl records it as this.
        if (!heldBefore && !(await archive.runLockHeld())) {
          for (const run of runs) if (run.outcome === 'running') Object.assign(run, { outcome: 'interrupted', error: UNFINISHED_RUN_ERROR });
        }
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
          process.stdout.write(`#${run.id} ${run.outcome.padEnd(11)} ${run.startedAt.toISOString()} -> ${ended}  ${describeScope(run.scope)}\n    ${counters}\n`);
          if (run.error) process.stdout.write(`    ${run.error}\n`);
        }
      });
    });
}
