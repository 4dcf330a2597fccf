import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { checkFilters } from '../query-options.js';

export function registerExemptions(program: Command): void {
  program
    .command('exemptions')
    .description('how many archived requests cite each FOI and EI exemption, in what the site shows (listed, not removed)')
    .option('--body <url_name>', "only this authority's requests", (value: string) => value.toLowerCase())
    .option('--codes', 'list every exemption the archive reads, with its heading, and open no archive')
    .action(async (flags: { body?: string; codes?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const { EXEMPTIONS } = await import('../../storage/index.js');
      if (flags.codes) {
        if (globals.json) printJson(Object.entries(EXEMPTIONS).map(([code, label]) => ({ code, label })));
        else process.stdout.write(Object.entries(EXEMPTIONS).map(([code, label]) => `${code.padEnd(14)} ${label}\n`).join(''));
        return;
      }
      const scope = flags.body ? { authority: flags.body } : {};
      const tally = await withArchive(globals, async (archive) => {
        await checkFilters(archive, scope);
        return archive.exemptionTally(scope);
      });
      if (globals.json) {
        printJson(tally);
        return;
      }
      const lines = [`${tally.citing} of ${tally.requests} request${tally.requests === 1 ? '' : 's'}${flags.body ? ` to ${flags.body}` : ''} cite at least one exemption`];
      if (tally.exemptions.length) lines.push('', `${'exemption'.padEnd(14)} ${'requests'.padStart(8)}  heading`);
      for (const e of tally.exemptions) lines.push(`${e.code.padEnd(14)} ${String(e.requests).padStart(8)}  ${e.label}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
