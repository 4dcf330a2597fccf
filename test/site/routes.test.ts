import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROBOTS_TXT, startSimulator, type GroundTruth, type Simulator } from '../../fixtures/site/index.js';
import { get, slugsByEvent, text } from './helpers.js';

let sim: Simulator;
let truth: GroundTruth;

beforeAll(async () => {
  sim = await startSimulator({ requests: 40, seed: 7 });
  truth = sim.groundTruth();
});
afterAll(() => sim.close());

describe('robots.txt', () => {
  it('serves the core rules with attachments allowed and feeds, search and login actions disallowed', async () => {
    const { status, body, headers } = await text(sim, '/robots.txt');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain/);
    expect(body).toBe(ROBOTS_TXT);
    for (const line of ['User-agent: *', 'Allow: */request/*/response/*/attach/*', 'Disallow: */request/*/response/*', 'Disallow: */feed/*', 'Disallow: */search/*', 'Disallow: */request/*/download*']) {
      expect(body.split('\n')).toContain(line);
    }
  });
});

describe('request pages', () => {
  it('serves a normal request with the medium cache policy, locale cookie and a weak ETag honoured by If-None-Match', async () => {
    const request = truth.requests.find((r) => r.prominence === 'normal')!;
    const response = await get(sim, `/request/${request.urlTitle}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=3600, public');
    expect(response.headers.get('vary')).toBe('Cookie');
    expect(response.headers.get('content-language')).toBe('en');
    expect(response.headers.get('set-cookie')).toMatch(/^locale=en/);
    expect(response.headers.get('x-robots-tag')).toBeNull();
    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const body = await response.text();
    expect(body).toContain(`<html lang="en">`);
    expect(body).toContain(`request-status-message--${request.status}`);
    const again = await get(sim, `/request/${request.urlTitle}`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves backpage requests with X-Robots-Tag: noindex and keeps them out of /list', async () => {
    const backpage = truth.requests.find((r) => r.prominence === 'backpage')!;
    const response = await get(sim, `/request/${backpage.urlTitle}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-robots-tag')).toBe('noindex');
    const json = await get(sim, `/request/${backpage.urlTitle}.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('x-robots-tag')).toBe('noindex');
    expect(((await json.json()) as { prominence: string }).prominence).toBe('backpage');
    const list = await text(sim, '/list');
    expect(list.body).not.toContain(`/request/${backpage.urlTitle}"`);
  });

  it('answers 403 for hidden and requester_only requests, with an empty JSON body and a 404 on the numeric id', async () => {
    const slugs = await slugsByEvent(sim, 400);
    const publicSlugs = new Set(truth.requests.map((r) => r.urlTitle));
    const hidden = [...slugs.keys()].filter((slug) => !publicSlugs.has(slug));
    expect(hidden.length).toBeGreaterThanOrEqual(2);
    const notices: string[] = [];
    for (const slug of hidden) {
      const page = await text(sim, `/request/${slug}`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('<h1>Request has been removed</h1>');
      expect(page.body).toContain('<title>Request has been removed - WhatDoTheyKnow</title>');
      notices.push(page.body);
      const json = await text(sim, `/request/${slug}.json`);
      expect(json.status).toBe(403);
      expect(json.body).toBe('');
    }
    expect(notices.some((body) => body.includes('If you are the requester'))).toBe(true);
    expect(notices.some((body) => !body.includes('If you are the requester'))).toBe(true);
    const publicIds = new Set(truth.requests.map((r) => r.id));
    const maxId = Math.max(...publicIds);
    const hiddenIds: number[] = [];
    for (let id = 1; id <= maxId; id++) if (!publicIds.has(id)) hiddenIds.push(id);
    expect(hiddenIds.length).toBeGreaterThanOrEqual(3);
    for (const id of hiddenIds) expect((await get(sim, `/request/${id}`)).status).toBe(404);
  });

  it('redirects readable numeric ids (HTML and JSON) with 301 to the slug', async () => {
    const request = truth.requests[0]!;
    const html = await get(sim, `/request/${request.id}`);
    expect(html.status).toBe(301);
    expect(html.headers.get('location')).toBe(`/request/${request.urlTitle}`);
    const json = await get(sim, `/request/${request.id}.json`);
    expect(json.status).toBe(301);
    expect(json.headers.get('location')).toBe(`/request/${request.urlTitle}.json`);
  });

  it('gives 404 with the error page for unknown slugs and unknown paths', async () => {
    for (const path of ['/request/no_such_request_here', '/nothing/here', '/request/no_such_request_here.json']) {
      const response = await text(sim, path);
      expect(response.status).toBe(404);
    }
    const page = await text(sim, '/nothing/here');
    expect(page.body).toContain('<div id="error-page">');
    expect(page.body).toContain("<h1>Sorry, we couldn't find that page</h1>");
  });

  it('redirects /request_event/<id> with a fragment naming the message', async () => {
    const request = truth.requests.find((r) => r.events.some((e) => e.kind === 'incoming'))!;
    const incoming = request.events.find((e) => e.kind === 'incoming')!;
    const response = await get(sim, `/request_event/${incoming.eventId}`);
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe(`/request/${request.urlTitle}#incoming-${incoming.id}`);
    const outgoing = request.events.find((e) => e.kind === 'outgoing')!;
    expect((await get(sim, `/request_event/${outgoing.eventId}`)).headers.get('location')).toBe(`/request/${request.urlTitle}#outgoing-${outgoing.id}`);
  });

  it('redirects old URL shapes and sends login-only actions to sign-in', async () => {
    const slug = truth.requests[0]!.urlTitle;
    const old = await get(sim, `/details/request/${slug}`);
    expect(old.status).toBe(301);
    expect(old.headers.get('location')).toBe(`/request/${slug}/details`);
    for (const path of [`/request/${slug}/track`, `/request/${slug}/download`, `/request/${slug}?update_status=1`, `/request/${slug}/followups/new`, `/request/${slug}/upload`, `/request/${slug}/annotate`, `/request/${slug}/report/new`]) {
      const response = await get(sim, path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location')).toMatch(/^\/profile\/sign_in\?token=[0-9a-f]+$/);
    }
  });

  it('serves the event history table with every event, cached for a day', async () => {
    const request = truth.requests[0]!;
    const page = await text(sim, `/request/${request.urlTitle}/details`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('max-age=86400, public');
    const json = (await (await get(sim, `/request/${request.urlTitle}.json`)).json()) as { info_request_events: { id: number }[] };
    for (const event of json.info_request_events) expect(page.body).toContain(`<td data-label="id">${event.id}&nbsp;</td>`);
  });
});

describe('JSON', () => {
  it('gives the request JSON with Rails times and every event, including hidden messages', async () => {
    const request = truth.requests.find((r) => r.events.some((e) => e.hidden && e.kind === 'incoming'))!;
    const json = (await (await get(sim, `/request/${request.urlTitle}.json`)).json()) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['id', 'url_title', 'title', 'created_at', 'updated_at', 'described_state', 'display_status', 'awaiting_description', 'prominence', 'law_used', 'tags', 'user', 'public_body', 'info_request_events']);
    expect(json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0[01]:00$/);
    const events = json.info_request_events as { incoming_message_id: number | null }[];
    const hidden = request.events.find((e) => e.hidden && e.kind === 'incoming')!;
    expect(events.some((event) => event.incoming_message_id === hidden.id)).toBe(true);
  });

  it('serves authority and user JSON and refuses JSON listings with 406', async () => {
    const request = truth.requests.find((r) => r.requester)!;
    const body = (await (await get(sim, `/body/${request.authority.urlName}.json`)).json()) as Record<string, unknown>;
    expect(body.url_name).toBe(request.authority.urlName);
    expect(Object.keys(body.info as object)).toEqual(['requests_count', 'requests_successful_count', 'requests_not_held_count', 'requests_overdue_count', 'requests_visible_classified_count']);
    const user = (await (await get(sim, `/user/${request.requester!.urlName}.json`)).json()) as Record<string, unknown>;
    expect(Object.keys(user)).toEqual(['id', 'url_name', 'name', 'ban_text', 'about_me']);
    const list = await text(sim, '/list.json');
    expect(list.status).toBe(406);
    expect(list.body).toBe('');
    const version = (await (await get(sim, '/version.json')).json()) as Record<string, unknown>;
    expect(version.visible_request_count).toBe(truth.requests.filter((r) => r.prominence === 'normal').length);
  });
});

describe('listings', () => {
  it('lists each normal request once, newest event first, with a count, and 404s past page 20', async () => {
    const page = await text(sim, '/list');
    expect(page.status).toBe(200);
    const normal = truth.requests.filter((r) => r.prominence === 'normal');
    expect(page.body).toContain(`About ${normal.length} FOI requests found`);
    const items = [...page.body.matchAll(/<span class="head"><a href="\/request\/([a-z0-9_]+)/g)].map((m) => m[1]);
    expect(items.length).toBe(25);
    expect(new Set(items).size).toBe(25);
    expect(page.body).toMatch(/<a class="next_page" rel="next" href="\/list\?page=2">/);
    const times = [...page.body.matchAll(/<div class="requester">.*?<time datetime="([^"]+)"/g)].map((m) => Date.parse(m[1]!));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const second = await text(sim, '/list?page=2');
    const rest = [...second.body.matchAll(/<span class="head"><a href="\/request\/([a-z0-9_]+)/g)].map((m) => m[1]);
    expect(new Set([...items, ...rest]).size).toBe(normal.length);
    expect((await get(sim, '/list?page=21')).status).toBe(404);
    const all = await get(sim, '/list/all');
    expect(all.status).toBe(301);
    expect(all.headers.get('location')).toBe('/list');
  });

  it('filters /list by request date (dd/mm/yyyy) and by latest status', async () => {
    const normal = truth.requests.filter((r) => r.prominence === 'normal');
    const sample = normal[0]!;
    const day = sample.createdAt.slice(0, 10).split('-').reverse().join('/');
    const page = await text(sim, `/list?request_date_after=${day}&request_date_before=${day}`);
    expect(page.body).toContain(`/request/${sample.urlTitle}`);
    const found = Number(/About (\d+) FOI requests found/.exec(page.body)![1]);
    expect(found).toBeLessThan(normal.length);
    const successful = await text(sim, '/list/successful');
    const expected = normal.filter((r) => r.status === 'successful' || r.status === 'partially_successful');
    expect(successful.body).toContain(`About ${expected.length} FOI requests found`);
  });

  it('shows authority pages sorted by described time, 404 past page 20, and redirects renamed and odd slugs', async () => {
    const authority = truth.requests[0]!.authority;
    const page = await text(sim, `/body/${authority.urlName}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('max-age=86400, public');
    expect(page.body).toContain(`<h1>${authority.name}</h1>`);
    expect((await get(sim, `/body/${authority.urlName}?page=21`)).status).toBe(404);
    const renamed = await get(sim, '/body/department_of_health');
    expect(renamed.status).toBe(302);
    expect(renamed.headers.get('location')).toBe('/body/dhsc');
    const odd = await get(sim, '/body/DWP');
    expect(odd.status).toBe(301);
    expect(odd.headers.get('location')).toBe('/body/dwp');
  });

  it('lists authorities A-Z and exports them as CSV with the exact header', async () => {
    const list = await text(sim, '/body');
    expect(list.body).toContain(`Found ${truth.authorities.length} public authorities`);
    const csv = await text(sim, '/body/all-authorities.csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="all-authorities.csv"');
    const lines = csv.body.trimEnd().split('\n');
    expect(lines[0]).toBe('Internal ID,Name,Short name,URL name,Tags,Home page,Publication scheme,Disclosure log,Notes,Created at,Updated at,Version');
    expect(lines.length).toBe(truth.authorities.length + 1);
    expect(csv.body).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(csv.body).toContain(',"",');
  });

  it('shows user pages with their requests and annotations', async () => {
    const request = truth.requests.find((r) => r.requester && r.prominence === 'normal')!;
    const page = await text(sim, `/user/${request.requester!.urlName}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('max-age=86400, public');
    expect(page.body).toContain(`/request/${request.urlTitle}`);
    expect(page.body).toContain('<h2 id="annotations">');
    expect((await get(sim, '/user/nobody_at_all')).status).toBe(404);
  });
});

describe('Welsh locale', () => {
  it('redirects /cy/<path> with 301, then sets the cookie with a 302, then renders Welsh', async () => {
    const first = await get(sim, '/cy/list?page=2');
    expect(first.status).toBe(301);
    expect(first.headers.get('location')).toBe('/list?locale=cy');
    const second = await get(sim, '/list?locale=cy');
    expect(second.status).toBe(302);
    expect(second.headers.get('location')).toBe('/list');
    expect(second.headers.get('set-cookie')).toMatch(/^locale=cy/);
    const page = await text(sim, '/list', { cookie: 'locale=cy' });
    expect(page.headers.get('content-language')).toBe('cy');
    expect(page.body).toContain('<html lang="cy">');
    expect(page.body).toContain('Pori ceisiadau');
  });
});
