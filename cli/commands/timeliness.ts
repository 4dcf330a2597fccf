import type { Command } from 'commander';
import type { TimelinessTally } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { UsageError } from '../errors.js';
import { isoDate, wholeNumber } from '../options.js';
import { checkFilters } from '../query-options.js';

const ORDERS = ['requests', 'late'];

function order(value: string): 'requests' | 'late' {
  const chosen = value.toLowerCase();
  if (chosen !== 'requests' && chosen !== 'late') throw new UsageError(`--order takes ${ORDERS.join(' or ')}, not "${value}"`);
  return chosen;
}

const share = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—');

function summary(tally: TimelinessTally): string[] {
  const due = tally.onTime + tally.late + tally.overdue;
  const row = (label: string, value: string) => `  ${label.padEnd(38)} ${value}`;
  return [
    row('first reply within 20 working days', `${tally.onTime} (${share(tally.onTime, due)} of the ${due} due)`),
    row('first reply after the due date', String(tally.late)),
    row('no reply, past the due date', String(tally.overdue)),
    row('no reply yet, not yet due', String(tally.waiting)),
    row('median working days to the first reply', String(tally.medianWorkingDays ?? '—')),
    row(
      'an answer within 20 working days',
      tally.answered === 0 ? 'no answer classified yet' : `${tally.answeredOnTime} (${share(tally.answeredOnTime, tally.answered)} of the ${tally.answered} answered)`,
    ),
    row('median working days to the answer', String(tally.medianAnswerWorkingDays ?? '—')),
    row('marked overdue by the site', `${tally.markedOverdue} (${tally.markedVeryOverdue} long overdue)`),
    row('internal reviews requested', String(tally.internalReviews)),
  ];
}

export function registerTimeliness(program: Command): void {
  program
    .command('timeliness')
    .description(
      "how promptly authorities first replied to the archived requests (listed, not removed), against the 20 working days the law allows: " +
        'the whole archive and each authority, or one',
    )
    .option('--body <url_name>', "only this authority's requests", (value: string) => value.toLowerCase())
    .option('--from <date>', 'requests made on or after YYYY-MM-DD', isoDate('--from'))
    .option('--to <date>', 'requests made on or before YYYY-MM-DD', isoDate('--to', 'endOfDay'))
    .option('--order <order>', 'authorities with the most requests first, or (late) those most often late first', order, 'requests')
    .option('--min <n>', 'only authorities with at least this many requests', wholeNumber('--min', 1, 1_000_000), 1)
    .option('--limit <n>', 'authorities listed', wholeNumber('--limit', 1, 100_000), 20)
    .action(async (flags: { body?: string; from?: Date; to?: Date; order: 'requests' | 'late'; min: number; limit: number }, command: Command) => {
      const globals = globalsOf(command);
      const scope = { ...(flags.body ? { authority: flags.body } : {}), ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}) };
      const { tally, table } = await withArchive(globals, async (archive) => {
        await checkFilters(archive, scope);
        const [tally, table] = await Promise.all([
          archive.timelinessTally(scope),
          flags.body ? null : archive.timelinessByAuthority({ ...scope, order: flags.order, minRequests: flags.min, limit: flags.limit }),
        ]);
        return { tally, table };
      });
      if (globals.json) {
        printJson(table ? { ...tally, total: table.total, authorities: table.authorities } : tally);
        return;
      }
      const lines = [`${tally.requests} request${tally.requests === 1 ? '' : 's'}${flags.body ? ` to ${flags.body}` : ''} with a known sending time`, ...summary(tally)];
      if (table && table.authorities.length) {
        const width = Math.max(9, ...table.authorities.map((row) => row.authority.urlName.length));
        lines.push('', `${'authority'.padEnd(width)} ${'requests'.padStart(8)} ${'on time'.padStart(12)} ${'late'.padStart(6)} ${'overdue'.padStart(7)} ${'median'.padStart(6)}`);
        for (const row of table.authorities) {
          const onTime = `${row.onTime} (${share(row.onTime, row.onTime + row.late + row.overdue)})`;
          lines.push(`${row.authority.urlName.padEnd(width)} ${String(row.requests).padStart(8)} ${onTime.padStart(12)} ${String(row.late).padStart(6)} ${String(row.overdue).padStart(7)} ${String(row.medianWorkingDays ?? '—').padStart(6)}`);
        }
        if (table.total > table.authorities.length) lines.push(`… and ${table.total - table.authorities.length} more (--limit)`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
