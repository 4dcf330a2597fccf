import { describe, expect, it } from 'vitest';
import type { GroundTruthRequest } from '../../fixtures/site/index.js';
import { parseRequestPage } from '../../parsers/site/index.js';
import { comparableParse, expectedFromTruth } from './ground-truth.js';
import { page } from './helpers.js';

// Pages saved from the simulator (seed 7, 20 requests) with their ground truth, for tests without a server.
const saved = JSON.parse(page('simulator/ground-truth.json')) as { truth: GroundTruthRequest[] };
const base = 'http://simulator.test';

describe('saved simulator pages', () => {
  it.each(saved.truth.map((request) => [request.urlTitle, request] as const))('%s?unfold=1 matches ground truth', (slug, request) => {
    const parsed = parseRequestPage(page(`simulator/${slug}.unfold.html`), { url: `${base}/request/${slug}?unfold=1` });
    expect(comparableParse(parsed)).toEqual(expectedFromTruth(request));
  });

  it('the folded page has the same events, shorter text where sections were folded, and marks them', () => {
    const slug = 'request_for_the_total_cost_of_fl';
    const unfolded = parseRequestPage(page(`simulator/${slug}.unfold.html`), { url: `${base}/request/${slug}?unfold=1` });
    const folded = parseRequestPage(page(`simulator/${slug}.html`), { url: `${base}/request/${slug}` });
    expect(folded.warnings).toEqual([]);
    expect(folded.events.map((event) => [event.kind, event.id])).toEqual(unfolded.events.map((event) => [event.kind, event.id]));
    const foldedEvents = folded.events.filter((event) => event.folded);
    expect(foldedEvents.length).toBeGreaterThan(0);
    for (const event of foldedEvents) {
      const full = unfolded.events.find((other) => other.kind === event.kind && other.id === event.id)!;
      expect(full.folded).toBeUndefined();
      expect(full.text!.length).toBeGreaterThan(event.text!.length);
      expect(event.text).not.toMatch(/show quoted sections/);
      expect(full.text).not.toMatch(/hide quoted sections/);
    }
  });
});
