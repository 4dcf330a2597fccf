import { describe, expect, it } from 'vitest';
import { ChallengeError } from '../../crawler/http/index.js';
import { fetcherSite, text } from './test-server.js';

const site = fetcherSite();

const NGINX_403 = '<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const CLOUDFLARE_1020 = '<!DOCTYPE html><html><head><title>Access denied | www.whatdotheyknow.com used Cloudflare to restrict access</title></head><body><h1>Error 1020</h1><h2>Access denied</h2></body></html>';

describe('blocks that carry no challenge marker', () => {
  it.each([
    ['an nginx 403 page', 403, NGINX_403],
    ["Cloudflare's 1020 access-denied page", 403, CLOUDFLARE_1020],
    ['a 418 with a plain body', 418, 'no'],
    ['a 418 with no body', 418, ''],
  ])('stops at %s without retrying, instead of reading it as a removed request', async (_label, status, body) => {
    await site.setUp({ '/request/x.json': (_req, res) => text(res, status, body) });
    const failure = await site.fetcher.get('/request/x.json').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChallengeError);
    expect((failure as ChallengeError).status).toBe(status);
    expect((failure as Error).message).toMatch(/does not work around/);
    expect(site.server.hits('/request/x.json')).toHaveLength(1);
    expect(site.fetcher.stats.retries).toBe(0);
  });

  it("passes the site's own removal answers to the caller: empty JSON, removed and erased pages, translated pages", async () => {
    const removedPage = (heading: string, notice: string) =>
      `<html><head><title>${heading} - WhatDoTheyKnow</title></head><body><h1>${heading}</h1>\n<p></p>\n<p id="hidden_message" class="hidden_message">${notice}</p></body></html>`;
    await site.setUp({
      '/request/hidden.json': (_req, res) => text(res, 403, ''),
      '/request/hidden': (_req, res) => text(res, 403, removedPage('Request has been removed', 'This request has been hidden.')),
      '/request/r/response/1/attach/2/a.pdf': (_req, res) => text(res, 403, removedPage('Attachment has been erased', 'This attachment has been removed and is no longer available.')),
      '/cy/request/hidden': (_req, res) => text(res, 403, removedPage('Mae’r cais wedi’i ddileu', 'Mae’r cais hwn wedi’i guddio.')),
    });
    for (const path of ['/request/hidden.json', '/request/hidden', '/request/r/response/1/attach/2/a.pdf', '/cy/request/hidden']) {
      expect((await site.fetcher.get(path)).status, path).toBe(403);
    }
  });
});
