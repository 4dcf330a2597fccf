import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../fixtures/site/index.js';
import type { GroundTruthRequest, Simulator } from '../../fixtures/site/index.js';
import { parseRequestPage } from '../../parsers/site/index.js';
import { comparableParse, expectedFromTruth } from './ground-truth.js';

let simulator: Simulator;
let requests: GroundTruthRequest[];
const pages = new Map<string, string>();

beforeAll(async () => {
  simulator = await startSimulator({ seed: 7, requests: 20 });
  requests = simulator.groundTruth().requests;
  for (const request of requests) {
    const response = await fetch(`${simulator.url}/request/${request.urlTitle}?unfold=1`);
    expect(response.status, request.urlTitle).toBe(200);
    pages.set(request.urlTitle, await response.text());
  }
});

afterAll(async () => {
  await simulator?.close();
});

describe('parseRequestPage against the simulator over HTTP', () => {
  it('has public requests (hidden ones answer 403) with attachments and annotations to compare', () => {
    expect(requests.length).toBeGreaterThan(10);
    const events = requests.flatMap((request) => request.events);
    expect(events.some((event) => event.attachments.length > 1)).toBe(true);
    expect(events.some((event) => event.attachments.some((attachment) => attachment.hidden))).toBe(true);
    expect(events.some((event) => event.kind === 'incoming' && event.hidden)).toBe(true);
    expect(events.some((event) => event.kind === 'comment')).toBe(true);
  });

  it('reads every ?unfold=1 page into exactly the ground-truth request and events', () => {
    for (const request of requests) {
      const url = `${simulator.url}/request/${request.urlTitle}?unfold=1`;
      const parsed = parseRequestPage(pages.get(request.urlTitle)!, { url });
      expect(comparableParse(parsed), request.urlTitle).toEqual(expectedFromTruth(request));
      expect(parsed.request.lang).toBe('en');
    }
  });
});
