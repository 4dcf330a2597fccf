import { afterEach, describe, expect, it } from 'vitest';
import { runCrawl } from '../../crawler/index.js';
import { startSimulator, type FaultKind, type Simulator } from '../../fixtures/site/index.js';
import { openTestArchive, type TestArchive } from '../helpers/archive.js';
import { startTestServer, text, type TestServer } from './test-server.js';

let sim: Simulator | undefined;
let server: TestServer | undefined;
let test: TestArchive | undefined;
afterEach(async () => {
  await test?.cleanup();
  await sim?.close();
  await server?.close();
  test = sim = server = undefined;
});

describe('a crawl of a site that is down', () => {

  it.each<{ kind: FaultKind; routes?: RegExp; failure: RegExp; what: string }>([
    { kind: 'status500', failure: /HTTP 500/, what: 'an error page' },
    // The crawler asks for JSON; a 200 of another type is the site in trouble, not an answer.
    { kind: 'maintenance', failure: /HTTP 200 with Content-Type text\/html/, what: 'a maintenance page served with 200' },
    // The JSON comes through; each thread page is the maintenance page, HTML as asked for, but no request page.
    {
      kind: 'maintenance',
      routes: /^\/request\/[^/.?]+(\?|$)/,
      failure: /HTTP 200 with Content-Type text\/html.* without any of request-header/,
      what: 'a maintenance page in place of each thread page',
    },
  ])('stops after 10 failed attempts in a row ($what), saying the site looks down and that the next crawl resumes', { timeout: 120_000 }, async ({ kind, routes, failure }) => {
    sim = await startSimulator({ requests: 10, seed: 3, faults: { rate: 1, kinds: [kind], ...(routes ? { routes } : {}) } });
    test = await openTestArchive();

    const summary = await runCrawl(test.archive, {
      site: sim.url,
      scope: { requests: sim.groundTruth().requests.slice(0, 4).map((request) => request.urlTitle) },
      ratePerSecond: 100,
      extract: false,
      // Four threads, worked on at once, four attempts each: the failures that stop the run are not all one URL's.
      fetcher: { maxAttempts: 4, backoff: { baseMs: 1, maxMs: 5 } },
    });

    expect(summary.outcome).toBe('interrupted');
    expect(summary.error).toMatch(/^the site appears to be down: 10 attempts in a row failed .*; the next crawl with the same scope resumes it$/);
    expect(summary.error).toMatch(failure);
    // The run stops at the tenth failure in a row, and asks nothing after it. An answer that came through in between
    // (a thread's JSON, when a slow database spaces the threads out) starts the count again, so there may be more
    // failures before those ten.
    const streak = sim.log.slice(-10);
    expect(streak.filter((entry) => entry.fault === kind)).toHaveLength(10);
    expect(sim.log.filter((entry) => entry.fault === kind).length).toBeGreaterThanOrEqual(10);
    expect(new Set(streak.map((entry) => entry.path)).size).toBeGreaterThan(1);
    expect(summary.counters.newRequests).toBe(0);
  });
});

describe('a crawl of a site whose robots.txt cannot be read', () => {
  it('stops at once, since nothing may be fetched (RFC 9309), and the next crawl does the whole run', { timeout: 120_000 }, async () => {
    sim = await startSimulator({ requests: 10, seed: 3, faults: { rate: 1, kinds: ['status500'], routes: /^\/robots\.txt$/ } });
    test = await openTestArchive();
    const slugs = sim.groundTruth().requests.slice(0, 4).map((request) => request.urlTitle);
    const crawl = () =>
      runCrawl(test!.archive, { site: sim!.url, scope: { requests: slugs }, ratePerSecond: 100, extract: false, fetcher: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 5 } } });

    const down = await crawl();
    expect(down.outcome).toBe('interrupted');
    expect(down.error).toMatch(/^not fetching .*: robots\.txt could not be fetched .*HTTP 500.*RFC 9309.*; the next crawl with the same scope resumes it$/);
    expect(sim.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/robots.txt', '/robots.txt']);
    expect(down.counters.newRequests).toBe(0);

    sim.setFaults(undefined);
    const back = await crawl();
    expect(back).toMatchObject({ outcome: 'ok', runId: down.runId });
    expect(back.counters.newRequests).toBe(slugs.length);
  });
});

describe('a crawl of a site whose name does not resolve', () => {
  it('is the site unreachable, tried again and then stopped as robots.txt unreadable, not the archive failing', { timeout: 60_000 }, async () => {
    test = await openTestArchive();
    // A label over 63 characters: the resolver refuses the name itself (ENOTFOUND), without asking any DNS server.
    const site = `http://${'a'.repeat(64)}.invalid`;
    const summary = await runCrawl(test.archive, {
      site,
      contact: 'ops@example.org',
      scope: { requests: ['some_request'] },
      ratePerSecond: 100,
      extract: false,
      fetcher: { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 5 } },
    });
    expect(summary.outcome).toBe('interrupted');
    expect(summary.error).toMatch(/^not fetching .*: robots\.txt could not be fetched .*ENOTFOUND.*; the next crawl with the same scope resumes it$/);
    expect(summary.counters.retries).toBe(2);
  });
});

describe('a crawl of a site that is not Alaveteli', () => {
  it('fails at its first listing, asked for once, and says to check --site', { timeout: 60_000 }, async () => {
    server = await startTestServer({ '/': (_req, res) => text(res, 200, '<html><body>A blog</body></html>') });
    test = await openTestArchive();
    const summary = await runCrawl(test.archive, { site: server.url, scope: { all: true }, ratePerSecond: 100, extract: false });
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toBe(
      `no listing could be read, so nothing was archived (unexpected HTTP 404 for ${server.url}/body/all-authorities.csv); ` +
        `check --site: ${server.url} does not answer as an Alaveteli site does`,
    );
    expect(server.log.map((entry) => entry.path)).toEqual(['/robots.txt', '/body/all-authorities.csv']);
  });
});
