/**
 * `npm run demo`: the whole pipeline, offline, in a minute or two. Starts the local simulator, crawls
 * it into a fresh archive on the embedded default (PGlite + files), extracts text, then shows a search,
 * one request, the exemptions cited and how promptly authorities replied, and says where the archive is so you can keep exploring with the CLI.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator } from '../fixtures/site/index.js';
import { createCrawlReporter, formatSummary, runCrawl } from '../crawler/index.js';
import { pino } from 'pino';
import { openArchive } from '../storage/index.js';
import { formatSnippet, formatTotal } from './format.js';

const SEARCHES = ['penalty charge notices', 'potholes', 'agency staff', 'fly-tipping', 'body-worn video', 'school transport', 'noise complaints', 'stop and search'];

const say = (text = '') => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const archiveDir = await mkdtemp(path.join(tmpdir(), 'wdtk-demo-'));
  const simulator = await startSimulator({ requests: 40, seed: 7, maskingMs: 500 });
  say(`simulator: a fake WhatDoTheyKnow with 40 requests at ${simulator.url}`);
  say(`archive:   ${archiveDir} (PGlite index in pg/, original documents in blobs/)`);
  say();

  const archive = await openArchive({ archiveDir });
  try {
    // A progress bar on a terminal; otherwise only warnings, so the demo's own lines stay readable.
    const reporter = process.stderr.isTTY ? await createCrawlReporter({ tty: true }) : { log: pino({ level: 'warn' }), onProgress: () => {}, stop: () => {} };
    say('crawling: robots.txt, the authorities CSV, every authority listing, each request as JSON, then its page and attachments...');
    const summary = await runCrawl(archive, {
      site: simulator.url,
      scope: { all: true, ids: true },
      // The simulator is ours: no need for the 1-request-every-2-seconds a real site gets.
      ratePerSecond: 100,
      maskingRetryMs: 600,
      log: reporter.log,
      onProgress: reporter.onProgress,
    });
    reporter.stop();
    say(formatSummary(summary));
    say();

    for (const text of SEARCHES) {
      const result = await archive.search({ text, limit: 3 });
      const documentHit = result.hits.find((hit) => hit.kind === 'document');
      if (!documentHit) continue;
      say(`search "${text}": ${formatTotal(result.total, result.totalIsEstimate)}; the first ones:`);
      for (const hit of result.hits) {
        const where = hit.attachment ? `${hit.attachment.filename ?? 'document'}, page ${hit.attachment.page}` : 'request thread';
        say(`  ${hit.title} (${hit.authority.name}) - ${where}`);
        say(`    ${formatSnippet(hit)}`);
      }
      say();
      const request = await archive.getRequest(String(documentHit.remoteId));
      if (request) {
        say(`show ${request.urlTitle}: "${request.title}"`);
        say(`  ${request.authority.name}, status ${request.statusLabel ?? request.status}, ${request.events.length} messages, ${request.attachments.length} attachments`);
        for (const attachment of request.attachments) {
          say(`  - ${attachment.filename ?? '(no name)'}${attachment.hidden ? ' (withheld by the site)' : ''}${attachment.sha256 ? ` sha256 ${attachment.sha256}` : ''}`);
        }
        say();
      }
      break;
    }
    const tally = await archive.exemptionTally();
    if (tally.exemptions.length) {
      say(`exemptions the authorities cite: ${tally.citing} of ${tally.requests} requests cite at least one`);
      for (const e of tally.exemptions.slice(0, 5)) say(`  ${e.code.padEnd(13)} ${String(e.requests).padStart(3)}  ${e.label}`);
      say();
    }
    const timeliness = await archive.timelinessTally();
    const due = timeliness.onTime + timeliness.late + timeliness.overdue;
    say(`how promptly the authorities replied: ${timeliness.onTime} of the ${due} requests due had a first reply within 20 working days, ` +
      `${timeliness.late} a late one, ${timeliness.overdue} none; median ${timeliness.medianWorkingDays ?? '—'} working days`);
    if (timeliness.answered > 0) {
      say(`  ${timeliness.answeredOnTime} of the ${timeliness.answered} answers their requesters classified came within 20 working days; ` +
        `median ${timeliness.medianAnswerWorkingDays} working days`);
    }
    say();
    say('explore it yourself:');
    say(`  npx wdtk-archive --archive ${archiveDir} search "${SEARCHES[0]}"`);
    say(`  npx wdtk-archive --archive ${archiveDir} search --exemption "${tally.exemptions[0]?.code ?? 'FOIA s40'}"`);
    say(`  npx wdtk-archive --archive ${archiveDir} timeliness --order late`);
    say(`  npx wdtk-archive --archive ${archiveDir} runs`);
    say(`  npx wdtk-archive --archive ${archiveDir} serve`);
  } finally {
    await archive.close();
    await simulator.close();
  }
}

await main();
