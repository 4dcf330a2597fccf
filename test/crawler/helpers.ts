import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { ROBOTS_TXT, startSimulator, type GroundTruth, type RequestLogEntry, type Simulator, type SimulatorOptions } from '../../fixtures/site/index.js';
import type { Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

/** A simulator and a fresh test archive for the enclosing describe block: started before its tests, closed after. */
export function siteAndArchive(options: SimulatorOptions): { readonly sim: Simulator; readonly archive: Archive } {
  let sim: Simulator | undefined;
  let test: TestArchive | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });
  return {
    get sim() {
      return sim!;
    },
    get archive() {
      return test!.archive;
    },
  };
}

const squash = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

type Rows = Record<string, unknown>[];
const rowsOf = async (archive: Archive, query: ReturnType<typeof sql>): Promise<Rows> =>
  ((await archive.db.execute(query)) as unknown as { rows: Rows }).rows;

export interface TruthOptions {
  /**
   * Remote ids of requests this test saw public in an earlier run and that are no longer public: only these may have a
   * row that is not in the ground truth, and only marked removed.
   */
  oncePublic?: Iterable<number>;
  /** Remote ids of attachments this test saw public in an earlier run and that are hidden now: only these may keep bytes. */
  oncePublicAttachments?: Iterable<number>;
}

/**
 * Everything that differs between the archive and the simulator's ground truth, as readable lines:
 * requests (by remote id), their state, events, and attachments with sha256. Empty when they agree.
 */
export async function differencesFromTruth(archive: Archive, truth: GroundTruth, options: TruthOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const expected = new Set(truth.requests.map((r) => r.id));
  const oncePublic = new Set(options.oncePublic ?? []);
  const oncePublicAttachments = new Set(options.oncePublicAttachments ?? []);
  // The request rows themselves, removed ones included: a hidden or embargoed request must have no row at all, unless
  // the test saw it public before (then it stays, marked removed).
  const archived = new Map<number, string>();
  for (const row of await rowsOf(archive, sql`select remote_id, url_title, removed_at from requests`)) {
    const remoteId = Number(row['remote_id']);
    const label = `request ${remoteId} (${String(row['url_title'])})`;
    const removed = row['removed_at'] !== null;
    if (expected.has(remoteId)) {
      if (removed) problems.push(`${label} is public but archived as removed`);
      archived.set(remoteId, String(row['url_title']));
    } else if (!oncePublic.has(remoteId)) problems.push(`${label} is archived but was never public in this test`);
    else if (!removed) problems.push(`${label} is no longer public but not marked removed`);
  }

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
      if (event.hidden) {
        // The site shows a hidden message as a notice only: no text and no attachment may have been archived for it.
        // (Every message hidden in these tests is hidden from the start; one hidden later would keep what was archived.)
        if (squash(storedEvent.text) !== '') problems.push(`${where}: hidden ${event.kind} ${event.id} has text ${JSON.stringify(storedEvent.text)}`);
        for (const a of storedEvent.attachments.filter((a) => a.sha256 !== null || a.size !== null)) {
          problems.push(`${where}: hidden message ${event.id} has attachment part ${a.part} stored with sha256 ${a.sha256}`);
        }
        continue;
      }
      if (squash(storedEvent.text) !== squash(event.text)) problems.push(`${where}: ${event.kind} ${event.id} text differs`);
      if (event.kind !== 'incoming') continue;
      const withheld = event.attachments.filter((a) => a.hidden).length;
      const storedWithheld = storedEvent.attachments.filter((a) => a.hidden).length;
      if (storedWithheld !== withheld) problems.push(`${where}: message ${event.id} has ${storedWithheld} withheld attachments, expected ${withheld}`);
      if (storedEvent.attachments.length !== event.attachments.length) {
        problems.push(`${where}: message ${event.id} has ${storedEvent.attachments.length} attachments, expected ${event.attachments.length}`);
      }
      for (const attachment of event.attachments.filter((a) => a.hidden)) {
        const storedAttachment = storedEvent.attachments.find((a) => a.remoteId === attachment.id);
        const label = `${where}: withheld attachment ${attachment.id} of message ${event.id}`;
        if (!storedAttachment) problems.push(`${label} is not stored by its id`);
        else if (!storedAttachment.hidden) problems.push(`${label} is stored as visible`);
        else if (storedAttachment.sha256 !== null && !oncePublicAttachments.has(attachment.id)) {
          problems.push(`${label} has bytes stored (sha256 ${storedAttachment.sha256}) though it was never public in this test`);
        }
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

interface RobotsRule {
  allow: boolean;
  /** As written in robots.txt, percent-encoding normalised. */
  path: string;
  matcher: RegExp;
}

/** %xx of an unreserved character decoded, every other %xx upper-cased, non-ASCII percent-encoded (RFC 9309 §2.2.2). */
function normalisePercent(text: string): string {
  return text
    .replace(/[^\x00-\x7f]/gu, (c) => encodeURIComponent(c))
    .replace(/%[0-9a-fA-F]{2}/g, (escape) => {
      const c = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
      return /[A-Za-z0-9._~-]/.test(c) ? c : escape.toUpperCase();
    });
}

/**
 * The rules of `robotsTxt` that apply to `userAgent`, per RFC 9309 §2.2.1: the groups naming its product token
 * (case-insensitively), merged; failing those, the groups for `*`. Written here from the RFC, not with any package.
 */
function robotsRulesFor(robotsTxt: string, userAgent: string): RobotsRule[] {
  const token = (userAgent.split('/')[0] ?? '').trim().toLowerCase();
  const groups: { agents: string[]; rules: RobotsRule[] }[] = [];
  let current: { agents: string[]; rules: RobotsRule[] } | undefined;
  for (const rawLine of robotsTxt.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!current || current.rules.length > 0) groups.push((current = { agents: [], rules: [] }));
      current.agents.push(value.toLowerCase());
    } else if ((key === 'allow' || key === 'disallow') && current) {
      // An empty Disallow forbids nothing; a rule is marked so that a following user-agent line starts a new group.
      const path = normalisePercent(value);
      const end = path.endsWith('$');
      const body = end ? path.slice(0, -1) : path;
      const source = body.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
      current.rules.push({ allow: key === 'allow', path, matcher: new RegExp(`^${source}${end ? '$' : ''}`) });
    }
  }
  const named = groups.filter((g) => g.agents.includes(token));
  const chosen = named.length > 0 ? named : groups.filter((g) => g.agents.includes('*'));
  return chosen.flatMap((g) => g.rules).filter((rule) => rule.path !== '');
}

/**
 * Whether RFC 9309 lets `userAgent` fetch `pathAndQuery`: the matching rule with the longest path wins, Allow on a tie;
 * no matching rule allows; /robots.txt itself is always allowed.
 */
export function robotsAllows(robotsTxt: string, userAgent: string, pathAndQuery: string): boolean {
  const target = normalisePercent(pathAndQuery);
  if (target === '/robots.txt') return true;
  let best: RobotsRule | undefined;
  for (const rule of robotsRulesFor(robotsTxt, userAgent)) {
    if (!rule.matcher.test(target)) continue;
    if (!best || rule.path.length > best.path.length || (rule.path.length === best.path.length && rule.allow && !best.allow)) best = rule;
  }
  return best?.allow ?? true;
}

/** Log entries whose path the simulator's robots.txt forbids to the user agent that asked. */
export function robotsViolations(log: RequestLogEntry[]): string[] {
  return log.filter((entry) => !robotsAllows(ROBOTS_TXT, entry.userAgent, entry.path)).map((entry) => entry.path);
}

/** Milliseconds between consecutive requests as the site received them. */
export function requestGaps(log: RequestLogEntry[]): number[] {
  return log.slice(1).map((entry, i) => entry.time - log[i]!.time);
}

export const isAttachmentPath = (path: string) => /^\/request\/[^/]+\/response\/\d+\/attach\//.test(path);
export const isThreadPagePath = (path: string) => /^\/request\/[^/.?]+(\?|$)/.test(path);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Whether the crawler keeps this answer as a capture: every final answer it received whole, whatever its status.
 * Not robots.txt (parsed, not kept), redirect hops, answers it retries (429, 5xx, a reset, a truncated body, a
 * maintenance page in place of what was asked for), nor a challenge (the run stops).
 */
const isKeptAnswer = (entry: RequestLogEntry): boolean =>
  entry.path !== '/robots.txt' && entry.status !== 0 && !REDIRECTS.has(entry.status) && entry.status !== 429 && entry.status < 500 &&
  entry.fault !== 'truncate' && entry.fault !== 'challenge' && entry.fault !== 'reset' && entry.fault !== 'maintenance';

export interface LoggedRuns {
  /** The simulator's log over exactly the runs in `runIds` (cleared before the first of them), and nothing else. */
  log: RequestLogEntry[];
  site: string;
  runIds: number[];
  /**
   * The run was killed with SIGKILL when the log was this long: up to `unstoredMax` answers logged before then (one
   * per crawl worker, each holding at most one answer it had not stored yet) may have no capture.
   */
  killed?: { atLogLength: number; unstoredMax: number };
}

/**
 * Rows that point nowhere or that nothing points to, blob rows without their object, objects without their row,
 * history rows recorded twice, and (given the simulator's log of the runs) captures that are not one per answer.
 */
export async function integrityProblems(archive: Archive, runs?: LoggedRuns): Promise<string[]> {
  const problems: string[] = [];
  const orphans = await rowsOf(archive, sql`
    select b.sha256 from blobs b
    where not exists (select 1 from attachments a where a.sha256 = b.sha256)
      and not exists (select 1 from captures c where c.sha256 = b.sha256 or c.snapshot_pdf_sha256 = b.sha256 or c.snapshot_png_sha256 = b.sha256)`);
  for (const row of orphans) problems.push(`orphan blob ${String(row['sha256'])}`);
  // request_history has no unique key: the same change recorded twice by one run (a resumed one, say) would show here.
  const repeated = await rowsOf(archive, sql`
    select request_id, change, from_value, to_value, run_id, count(*)::int as n from request_history
    group by request_id, change, from_value, to_value, run_id having count(*) > 1`);
  for (const row of repeated) problems.push(`request_history row recorded ${String(row['n'])} times: ${JSON.stringify(row)}`);

  if (runs) {
    // captures has no unique key either: one row per answer received, so per URL exactly as many as the site logged.
    const logged = new Map<string, { total: number; beforeKill: number }>();
    runs.log.forEach((entry, i) => {
      if (!isKeptAnswer(entry)) return;
      const url = new URL(entry.path, runs.site).href;
      const count = logged.get(url) ?? { total: 0, beforeKill: 0 };
      count.total++;
      if (runs.killed && i < runs.killed.atLogLength) count.beforeKill++;
      logged.set(url, count);
    });
    const captured = new Map<string, number>();
    const captureRows = runs.runIds.length === 0 ? [] : await rowsOf(archive, sql`
      select url, count(*)::int as n from captures where run_id in (${sql.join(runs.runIds.map((id) => sql`${id}`), sql`, `)}) group by url`);
    for (const row of captureRows) captured.set(new URL(String(row['url'])).href, Number(row['n']));
    let unstored = 0;
    for (const url of new Set([...logged.keys(), ...captured.keys()])) {
      const answers = logged.get(url) ?? { total: 0, beforeKill: 0 };
      const rows = captured.get(url) ?? 0;
      if (rows > answers.total) problems.push(`${rows} capture rows for ${url}, which the site answered ${answers.total} times`);
      else if (rows < answers.total) {
        const missing = answers.total - rows;
        if (!runs.killed || missing > answers.beforeKill) problems.push(`${rows} capture rows for ${url}, which the site answered ${answers.total} times`);
        else unstored += missing;
      }
    }
    if (runs.killed && unstored > runs.killed.unstoredMax) {
      problems.push(`${unstored} answers before the kill have no capture; at most ${runs.killed.unstoredMax} can have been in hand`);
    }
  }

  const report = await archive.verify();
  for (const problem of report.problems) problems.push(`blob ${problem.sha256} is ${problem.kind}`);
  for (const sha of report.unindexed) problems.push(`stored object ${sha} has no blob row`);
  return problems;
}

export { openChildArchive, repoRoot, startCli, type ChildArchive, type CliResult } from '../helpers/cli.js';

/** What a request line holds of a URL: its path and query. */
export const pathAndQuery = (href: string) => {
  const url = new URL(href);
  return `${url.pathname}${url.search}`;
};

/** Answers a request itself (true), reading the simulator's answer through `upstream` if it needs it, or leaves it (false). */
export type Misdirect = (req: IncomingMessage, res: ServerResponse, upstream: () => Promise<Buffer>) => Promise<boolean>;

/** The simulator behind a front of its own, on another port (so another origin), that can answer some requests itself. */
export async function startFront(upstreamUrl: string, misdirect: Misdirect): Promise<{ url: string; close(): Promise<void> }> {
  const forward = (req: IncomingMessage, headers = req.headers) =>
    new Promise<IncomingMessage>((resolve, reject) => request(`${upstreamUrl}${req.url}`, { headers }, resolve).on('error', reject).end());
  const server: Server = createServer((req, res) => {
    void (async () => {
      // A body to rewrite is asked for as it is, not compressed.
      const { 'accept-encoding': _coded, ...plain } = req.headers;
      const handled = await misdirect(req, res, async () => Buffer.concat(await (await forward(req, plain)).toArray()));
      if (handled) return;
      const answer = await forward(req);
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
