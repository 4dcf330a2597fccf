import type { Command } from 'commander';
import type { AttachmentCopies, AttachmentCopy, AttachmentSummary, ExemptionCitation, RequestDetail, RequestTimeliness } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { printable } from '../format.js';

/** Each attachment's copies (its sha256 elsewhere), every one of them: the operator sees what the web leaves out. */
type CopiesByAttachment = Map<number, AttachmentCopies>;

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('a request: metadata, timeline, attachments with sha256 and where else each was released (removed requests are shown, marked as such)')
    .argument('<slug_or_id>', "the request's url_title, or its numeric id on the site")
    .action(async (slugOrId: string, _flags: unknown, command: Command) => {
      const globals = globalsOf(command);
      const { exemptionsCited } = await import('../../storage/index.js');
      const shown = await withArchive(globals, async (archive) => {
        const request = await archive.getRequest(slugOrId, { includeRemoved: true });
        if (!request) return null;
        // One read for the whole thread, not one per attachment.
        const copies = await archive.attachmentCopies(request.attachments.map((a) => a.id), { includeWithheld: true });
        return { request, copies };
      });
      if (!shown) throw new CliError(`no request "${slugOrId}" in the archive`);
      const cited = exemptionsCited(shown.request);
      if (globals.json) printJson({ ...withCopies(shown.request, shown.copies), exemptionsCited: cited });
      else process.stdout.write(printable(formatRequest(shown.request, shown.copies, cited)));
    });
}

/** The RequestDetail with each attachment's `alsoReleasedIn` and `alsoReleasedInMore`, under its message and in the list. */
function withCopies(r: RequestDetail, copies: CopiesByAttachment) {
  const annotated = (a: AttachmentSummary) => ({ ...a, alsoReleasedIn: copies.get(a.id)?.copies ?? [], alsoReleasedInMore: copies.get(a.id)?.more ?? 0 });
  return { ...r, events: r.events.map((e) => ({ ...e, attachments: e.attachments.map(annotated) })), attachments: r.attachments.map(annotated) };
}

function date(value: Date | null): string {
  return value ? value.toISOString() : '?';
}

/** What keeps a copy off the web UI, as `show` marks hidden material elsewhere. */
function copyMarks(copy: AttachmentCopy): string[] {
  return [
    ...(copy.hidden ? ['hidden on the site'] : []),
    ...(copy.removedAt ? ['removed from the site'] : []),
    ...(copy.messageHidden ? ['its message hidden on the site'] : []),
    ...(copy.request.removedAt ? ['request REMOVED from the site'] : []),
    ...(copy.request.prominence === 'backpage' ? ['UNLISTED'] : []),
  ];
}

function copyLines(found: AttachmentCopies | undefined): string[] {
  if (!found) return [];
  const lines = found.copies.map((copy) => {
    const marks = copyMarks(copy);
    const day = copy.messageTime ? copy.messageTime.toISOString().slice(0, 10) : '?';
    return `      also in [${copy.id}] ${copy.request.urlTitle} (${copy.request.authority.urlName}) ${day}${marks.length ? `  [${marks.join(', ')}]` : ''}`;
  });
  if (found.more > 0) lines.push(`      and ${found.more} more`);
  return lines;
}

function timelinessLine(t: RequestTimeliness): string {
  const reply = {
    on_time: `first reply ${t.firstResponseOn} after ${t.responseWorkingDays} working days: on time`,
    late: `first reply ${t.firstResponseOn} after ${t.responseWorkingDays} working days: LATE`,
    overdue: 'no reply, past the due date',
    waiting: 'no reply yet',
  }[t.outcome];
  const marks = [
    t.siteOverdue ? `the site marked it ${t.siteOverdue === 'very_overdue' ? 'long overdue' : 'overdue'}` : null,
    t.internalReviewRequested ? 'internal review requested' : null,
  ].filter((mark) => mark !== null);
  const answer = t.firstAnswerOn !== null && t.firstAnswerOn !== t.firstResponseOn ? [`answered ${t.firstAnswerOn} after ${t.answerWorkingDays} working days`] : [];
  const restarted = t.clockStartedOn !== t.sentOn ? [`resent or clarified ${t.clockStartedOn}`] : [];
  return [`sent ${t.sentOn}`, ...restarted, `due by ${t.dueOn}`, reply, ...answer, ...marks].join(' · ');
}

function formatRequest(r: RequestDetail, copies: CopiesByAttachment, cited: ExemptionCitation[]): string {
  const lines = [
    r.title,
    `  ${r.urlTitle} (id ${r.remoteId}) · ${r.statusLabel ?? r.status} · to ${r.authority.name} (${r.authority.urlName})` +
      (r.requester ? ` · by ${r.requester.name}` : ''),
    `  made ${date(r.remoteCreatedAt)} · archived ${date(r.firstArchivedAt)} · last changed ${date(r.lastChangedAt)}`,
  ];
  if (r.timeliness) lines.push(`  ${timelinessLine(r.timeliness)}`);
  if (r.removedAt) lines.push(`  REMOVED from the site ${date(r.removedAt)}: ${r.removalReason ?? 'no reason recorded'}`);
  if (r.prominence === 'backpage') lines.push('  UNLISTED: the site keeps it off its listings and search (backpage), though it serves it by its link');
  // What the site shows cites these; a hidden message's or document's own citations are under it below.
  if (cited.length) lines.push(`  exemptions cited: ${cited.map((c) => `${c.code} (${c.label})`).join(', ')}`);
  for (const event of r.events) {
    lines.push('', `${date(event.time)}  ${event.kind} #${event.messageId}  ${event.author ?? ''}${event.hidden ? '  [hidden on the site]' : ''}`);
    if (event.text) lines.push(...event.text.split('\n').map((line) => `    ${line}`));
    if (event.exemptions?.length) lines.push(`    cites ${event.exemptions.join(', ')}`);
    for (const a of event.attachments) {
      const state = a.hidden ? 'hidden on the site' : a.sha256 ? `sha256 ${a.sha256} · ${a.size ?? '?'} bytes` : 'not yet fetched';
      lines.push(`    📎 [${a.id}] ${a.filename ?? '(no name)'} · ${a.type ?? a.contentType ?? '?'} · ${state}`);
      if (a.exemptions?.length) lines.push(`      cites ${a.exemptions.map((e) => `${e.code} (p. ${e.pages.join(', ')})`).join(', ')}`);
      lines.push(...copyLines(copies.get(a.id)));
    }
  }
  for (const h of r.history) lines.push(`  history: ${date(h.at)} ${h.change} ${h.from ?? ''} → ${h.to ?? ''}`);
  return `${lines.join('\n')}\n`;
}
