import robotsParserCjs from 'robots-parser';
import { sql } from 'drizzle-orm';
import { ROBOTS_TXT, type GroundTruth, type RequestLogEntry } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';

// robots-parser is CommonJS typed as an ES default export; at run time the import is the function itself.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

const squash = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

/**
 * Everything that differs between the archive and the simulator's ground truth, as readable lines:
 * requests (by remote id), their state, events, and attachments with sha256. Empty when they agree.
 */
export async function differencesFromTruth(archive: Archive, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  const archived = new Map<number, string>();
  for await (const row of archive.exportRows({})) if (row.kind === 'request') archived.set(row.remoteId, row.urlTitle);
  const expected = new Set(truth.requests.map((r) => r.id));
  for (const id of archived.keys()) if (!expected.has(id)) problems.push(`request ${id} (${archived.get(id)}) is archived but not public`);

  for (const truthRequest of truth.requests) {
    const where = `request ${truthRequest.id} (${truthRequest.urlTitle})`;
    if (!archived.has(truthRequest.id)) {
      problems.push(`${where} is missing`);
      continue;
    }
    const stored = await archive.getRequest(truthRequest.urlTitle);
    if (!stored || stored.remoteId !== truthRequest.id) {
      problems.push(`${where} is not found under its slug`);
      continue;
    }
    if (stored.title !== truthRequest.title) problems.push(`${where}: title ${JSON.stringify(stored.title)}`);
    if (stored.status !== truthRequest.status) problems.push(`${where}: status ${stored.status}, expected ${truthRequest.status}`);
    if (stored.describedState !== truthRequest.describedState) problems.push(`${where}: described_state ${stored.describedState}`);
    if (stored.authority.urlName !== truthRequest.authority.urlName) problems.push(`${where}: authority ${stored.authority.urlName}`);
    if (stored.prominence !== truthRequest.prominence) problems.push(`${where}: prominence ${stored.prominence}`);

    // Hidden annotations are not rendered at all, so nobody can archive them.
    const truthEvents = truthRequest.events.filter((e) => !(e.kind === 'comment' && e.hidden));
    const storedEvents = new Map(stored.events.map((e) => [`${e.kind}:${e.messageId}`, e]));
    if (storedEvents.size !== new Set(truthEvents.map((e) => `${e.kind}:${e.id}`)).size) {
      problems.push(`${where}: ${storedEvents.size} events stored, ${truthEvents.length} expected`);
    }
    for (const event of truthEvents) {
      const storedEvent = storedEvents.get(`${event.kind}:${event.id}`);
      if (!storedEvent) {
        problems.push(`${where}: ${event.kind} ${event.id} missing`);
        continue;
      }
      if (storedEvent.hidden !== event.hidden) problems.push(`${where}: ${event.kind} ${event.id} hidden=${storedEvent.hidden}`);
      if (!event.hidden && squash(storedEvent.text) !== squash(event.text)) problems.push(`${where}: ${event.kind} ${event.id} text differs`);
      if (event.kind !== 'incoming' || event.hidden) continue;
      const withheld = event.attachments.filter((a) => a.hidden).length;
      const storedWithheld = storedEvent.attachments.filter((a) => a.hidden).length;
      if (storedWithheld !== withheld) problems.push(`${where}: message ${event.id} has ${storedWithheld} withheld attachments, expected ${withheld}`);
      if (storedEvent.attachments.length !== event.attachments.length) {
        problems.push(`${where}: message ${event.id} has ${storedEvent.attachments.length} attachments, expected ${event.attachments.length}`);
      }
      for (const attachment of event.attachments.filter((a) => !a.hidden)) {
        const storedAttachment = storedEvent.attachments.find((a) => a.part === attachment.part);
        const label = `${where}: attachment ${event.id}/${attachment.part} (${attachment.filename})`;
        if (!storedAttachment) problems.push(`${label} missing`);
        else if (storedAttachment.sha256 !== attachment.sha256) problems.push(`${label} sha256 ${storedAttachment.sha256}, expected ${attachment.sha256}`);
        else if (storedAttachment.size !== attachment.size || storedAttachment.hidden || storedAttachment.filename !== attachment.filename) {
          problems.push(`${label} stored as ${JSON.stringify({ size: storedAttachment.size, hidden: storedAttachment.hidden, filename: storedAttachment.filename })}`);
        }
      }
    }
  }
  return problems;
}

/** Log entries whose path robots.txt forbids to our user agent. */
export function robotsViolations(log: RequestLogEntry[], base: string): string[] {
  const robots = robotsParser(`${base}/robots.txt`, ROBOTS_TXT);
  return log.filter((entry) => robots.isAllowed(`${base}${entry.path}`, entry.userAgent) === false).map((entry) => entry.path);
}

/** Milliseconds between consecutive requests as the site received them. */
export function requestGaps(log: RequestLogEntry[]): number[] {
  return log.slice(1).map((entry, i) => entry.time - log[i]!.time);
}

export const isAttachmentPath = (path: string) => /^\/request\/[^/]+\/response\/\d+\/attach\//.test(path);
export const isThreadPagePath = (path: string) => /^\/request\/[^/.?]+(\?|$)/.test(path);

/** Rows that point nowhere or that nothing points to, blob rows without their object, and objects without their row. */
export async function integrityProblems(archive: Archive): Promise<string[]> {
  const rows = async (query: ReturnType<typeof sql>) => ((await archive.db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const problems: string[] = [];
  const orphans = await rows(sql`
    select b.sha256 from blobs b
    where not exists (select 1 from attachments a where a.sha256 = b.sha256)
      and not exists (select 1 from captures c where c.sha256 = b.sha256 or c.snapshot_pdf_sha256 = b.sha256 or c.snapshot_png_sha256 = b.sha256)`);
  for (const row of orphans) problems.push(`orphan blob ${String(row['sha256'])}`);
  const duplicates = await rows(sql`
    select request_id, incoming_message_id, part, count(*) as n from attachments
    group by request_id, incoming_message_id, part having count(*) > 1`);
  for (const row of duplicates) problems.push(`duplicate attachment row ${JSON.stringify(row)}`);
  const report = await archive.verify();
  for (const sha of report.missing) problems.push(`blob ${sha} has no stored object`);
  for (const changed of report.changed) problems.push(`blob ${changed.sha256} changed`);
  for (const sha of report.unindexed) problems.push(`stored object ${sha} has no blob row`);
  return problems;
}

export { openChildArchive, repoRoot, startCli, type ChildArchive, type CliResult } from '../helpers/cli.js';
