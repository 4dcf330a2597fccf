import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type GroundTruth, type GroundTruthRequest, type Simulator } from '../../fixtures/site/index.js';
import { exemptionsCited, type Archive } from '../../storage/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';

// 50 requests whose letters, documents and refusals cite FOIA sections 12, 14, 21, 31, 40 and 43 and EIR 12(5)(e),
// and whose simulated day hides a request and a document that cite some. Among the documents is the sample tfl.pdf,
// whose "Copyright, Designs and Patents Act 1998 (sections 29 and 30)" are not exemptions.
const SEED = 43;
const SIZE = 50;

const sorted = (codes: Iterable<string>) => [...codes].sort();

/** The codes a request cites in what the site shows of it: its shown authority messages and their shown documents. */
function citedInTruth(request: GroundTruthRequest): string[] {
  const codes = new Set<string>();
  for (const event of request.events) {
    if (event.kind !== 'incoming' || event.hidden) continue;
    for (const code of event.exemptions ?? []) codes.add(code);
    for (const attachment of event.attachments) if (!attachment.hidden) for (const code of attachment.exemptions) codes.add(code);
  }
  return sorted(codes);
}

/** For each code, the remote ids of the requests citing it. */
function citingInTruth(requests: GroundTruthRequest[]): Map<string, number[]> {
  const citing = new Map<string, number[]>();
  for (const request of requests) for (const code of citedInTruth(request)) citing.set(code, [...(citing.get(code) ?? []), request.id]);
  return citing;
}

/**
 * Everything the archive reads of exemptions that differs from the ground truth, as readable lines: each message's
 * and document's codes, each request's, and which requests the search filter, facet and tally count for each code.
 */
async function citationDifferences(archive: Archive, truth: GroundTruth): Promise<string[]> {
  const problems: string[] = [];
  for (const request of truth.requests) {
    const where = `request ${request.id} (${request.urlTitle})`;
    const stored = await archive.getRequest(request.urlTitle);
    if (!stored) {
      problems.push(`${where} is missing`);
      continue;
    }
    const storedEvents = new Map(stored.events.map((e) => [`${e.kind}:${e.messageId}`, e]));
    // Hidden annotations are not rendered, so not archived.
    for (const event of request.events.filter((e) => !(e.kind === 'comment' && e.hidden))) {
      const storedEvent = storedEvents.get(`${event.kind}:${event.id}`);
      const label = `${where}: ${event.kind} ${event.id}`;
      if (!storedEvent) {
        problems.push(`${label} missing`);
        continue;
      }
      const read = storedEvent.exemptions === null ? null : sorted(storedEvent.exemptions);
      const expected = event.exemptions === null ? null : sorted(event.exemptions);
      if (JSON.stringify(read) !== JSON.stringify(expected)) problems.push(`${label} cites ${JSON.stringify(read)}, expected ${JSON.stringify(expected)}`);
      for (const attachment of event.attachments.filter((a) => !a.hidden)) {
        const storedAttachment = storedEvent.attachments.find((a) => a.part === attachment.part);
        const document = `${label}, attachment ${attachment.part} (${attachment.filename})`;
        if (!storedAttachment) problems.push(`${document} missing`);
        else if (storedAttachment.exemptions === null) problems.push(`${document} has no text extracted`);
        else {
          const codes = sorted(storedAttachment.exemptions.map((e) => e.code));
          if (JSON.stringify(codes) !== JSON.stringify(sorted(attachment.exemptions))) {
            problems.push(`${document} cites ${JSON.stringify(codes)}, expected ${JSON.stringify(sorted(attachment.exemptions))}`);
          }
        }
      }
    }
    const cited = exemptionsCited(stored).map((c) => c.code);
    if (JSON.stringify(sorted(cited)) !== JSON.stringify(citedInTruth(request))) {
      problems.push(`${where} cites ${JSON.stringify(cited)}, expected ${JSON.stringify(citedInTruth(request))}`);
    }
  }

  // The site lists only its normal requests; backpage ones are found when asked for.
  const listed = truth.requests.filter((r) => r.prominence === 'normal');
  for (const [requests, includeUnlisted] of [[listed, false], [truth.requests, true]] as const) {
    const scope = includeUnlisted ? 'with unlisted requests' : 'listed requests';
    for (const [code, citing] of citingInTruth(requests)) {
      const result = await archive.search({ exemption: code, includeUnlisted, limit: 1000 });
      const found = result.hits.map((hit) => `${hit.kind} ${hit.remoteId}`).sort();
      const expected = citing.map((id) => `request ${id}`).sort();
      if (JSON.stringify(found) !== JSON.stringify(expected)) problems.push(`${scope}: search for ${code} finds ${found.join(', ')}; expected ${expected.join(', ')}`);
    }
    const facet = (await archive.search({ includeUnlisted, limit: 0 })).facets.exemption.map((f) => `${f.key}: ${f.count}`).sort();
    const counts = [...citingInTruth(requests)].map(([code, citing]) => `${code}: ${citing.length}`).sort();
    if (JSON.stringify(facet) !== JSON.stringify(counts)) problems.push(`${scope}: the exemption facet counts ${facet.join(', ')}; expected ${counts.join(', ')}`);
  }

  const tally = await archive.exemptionTally();
  const expectedTally = {
    requests: listed.length,
    citing: listed.filter((r) => citedInTruth(r).length > 0).length,
    exemptions: [...citingInTruth(listed)].map(([code, citing]) => `${code}: ${citing.length}`).sort(),
  };
  const tallied = { ...tally, exemptions: tally.exemptions.map((e) => `${e.code}: ${e.requests}`).sort() };
  if (JSON.stringify(tallied) !== JSON.stringify(expectedTally)) problems.push(`the tally is ${JSON.stringify(tallied)}, expected ${JSON.stringify(expectedTally)}`);
  return problems;
}

describe(`the exemptions a ${SIZE}-request site cites, crawled with its text extracted`, () => {
  let sim: Simulator;
  let test: TestArchive;
  const crawl = () => runCrawl(test.archive, { site: sim.url, scope: { all: true, ids: true }, ratePerSecond: 200, maskingRetryMs: 100 });

  beforeAll(async () => {
    sim = await startSimulator({ seed: SEED, requests: SIZE, maskingMs: 50 });
    test = await openTestArchive();
  });
  afterAll(async () => {
    await test?.cleanup();
    await sim?.close();
  });

  it('are those the simulator chose: by message, document and request, and by search filter, facet and tally', { timeout: 120_000 }, async () => {
    const truth = sim.groundTruth();
    const codes = citingInTruth(truth.requests);
    // The comparison below means something only if the site cites a variety: in messages and in documents.
    expect(codes.size).toBeGreaterThanOrEqual(6);
    const events = truth.requests.flatMap((r) => r.events).filter((e) => !e.hidden);
    expect(events.filter((e) => (e.exemptions ?? []).length > 0).length).toBeGreaterThan(5);
    expect(events.flatMap((e) => e.attachments).filter((a) => a.exemptions.length > 0).length).toBeGreaterThan(20);

    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(await test.archive.jobs.pending()).toBe(0);
    expect((await test.archive.search({ text: '"Copyright, Designs and Patents Act 1998"', includeUnlisted: true })).hits.length).toBeGreaterThan(0);
    expect(await citationDifferences(test.archive, truth)).toEqual([]);
  });

  it('no longer count a request and a document the site hides after they were archived', { timeout: 120_000 }, async () => {
    const before = sim.groundTruth();
    const changes = sim.advance(1);
    const [hidden] = changes.hidden;
    const [withheld] = changes.hiddenAttachments;
    const hiddenRequest = before.requests.find((r) => r.id === hidden);
    const withheldDocument = before.requests.flatMap((r) => r.events).flatMap((e) => e.attachments).find((a) => a.id === withheld?.attachmentId);
    // Both cited something while they were public.
    expect(citedInTruth(hiddenRequest!).length).toBeGreaterThan(0);
    expect(withheldDocument!.exemptions.length).toBeGreaterThan(0);

    const summary = await crawl();
    expect(summary.outcome).toBe('ok');
    expect(await test.archive.jobs.pending()).toBe(0);
    expect(await citationDifferences(test.archive, sim.groundTruth())).toEqual([]);

    // The archive keeps both, and what they cite, but marks them: the request removed, the document hidden.
    const removed = await test.archive.getRequest(hiddenRequest!.urlTitle, { includeRemoved: true });
    expect(removed?.removedAt).toBeInstanceOf(Date);
    const kept = (await test.archive.getRequest(String(withheld!.requestId)))?.attachments.find((a) => a.remoteId === withheld!.attachmentId);
    expect(kept?.hidden).toBe(true);
    expect(kept?.exemptions?.map((e) => e.code)).toEqual(withheldDocument!.exemptions);
  });
});
