import type { Command } from 'commander';
import type { RequestDetail } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { printable } from '../format.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('a request: metadata, timeline, attachments with sha256 (removed requests are shown, marked as such)')
    .argument('<slug_or_id>', "the request's url_title, or its numeric id on the site")
    .action(async (slugOrId: string, _flags: unknown, command: Command) => {
      const globals = globalsOf(command);
      const request = await withArchive(globals, (archive) => archive.getRequest(slugOrId, { includeRemoved: true }));
      if (!request) throw new CliError(`no request "${slugOrId}" in the archive`);
      if (globals.json) printJson(request);
      else process.stdout.write(printable(formatRequest(request)));
    });
}

function date(value: Date | null): string {
  return value ? value.toISOString() : '?';
}

function formatRequest(r: RequestDetail): string {
  const lines = [
    r.title,
    `  ${r.urlTitle} (id ${r.remoteId}) · ${r.statusLabel ?? r.status} · to ${r.authority.name} (${r.authority.urlName})` +
      (r.requester ? ` · by ${r.requester.name}` : ''),
    `  made ${date(r.remoteCreatedAt)} · archived ${date(r.firstArchivedAt)} · last changed ${date(r.lastChangedAt)}`,
  ];
  if (r.removedAt) lines.push(`  REMOVED from the site ${date(r.removedAt)}: ${r.removalReason ?? 'no reason recorded'}`);
  for (const event of r.events) {
    lines.push('', `${date(event.time)}  ${event.kind} #${event.messageId}  ${event.author ?? ''}${event.hidden ? '  [hidden on the site]' : ''}`);
    if (event.text) lines.push(...event.text.split('\n').map((line) => `    ${line}`));
    for (const a of event.attachments) {
      const state = a.hidden ? 'hidden on the site' : a.sha256 ? `sha256 ${a.sha256} · ${a.size ?? '?'} bytes` : 'not yet fetched';
      lines.push(`    📎 [${a.id}] ${a.filename ?? '(no name)'} · ${a.type ?? a.contentType ?? '?'} · ${state}`);
    }
  }
  for (const h of r.history) lines.push(`  history: ${date(h.at)} ${h.change} ${h.from ?? ''} → ${h.to ?? ''}`);
  return `${lines.join('\n')}\n`;
}
