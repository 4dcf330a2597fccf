import { createServer } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadHtml } from '../../parsers/index.js';
import { runScript } from '../helpers/cli.js';

// The site is served from this process: on Node 24 an ES import of node:http itself loads Node's bundled undici.
const site = createServer((request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(`answered ${request.url}`));
beforeAll(() => new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve)));
afterAll(() => new Promise((resolve) => site.close(resolve)));

test("a crawl's modules load neither undici's entry module nor Node's bundled undici, and still fetch", async () => {
  const { port } = site.address() as { port: number };
  // A process of its own: this one has loaded both already (vitest, the other tests).
  const script = `
    import { createRequire } from 'node:module';
    await import('./crawler/index.ts');
    const { Agent, request } = await import('./crawler/http/undici-parts.ts');
    const agent = new Agent({ connections: 1 });
    const response = await request(new URL('http://127.0.0.1:${port}/path?q=1'), { dispatcher: agent, method: 'GET' });
    const body = await response.body.text();
    await agent.destroy();
    console.log(JSON.stringify({
      status: response.statusCode,
      body,
      undiciEntry: Object.keys(createRequire(import.meta.url).cache).filter((file) => /undici[\\\\/]index\\.js$/.test(file)),
      nodeUndici: process.moduleLoadList.filter((name) => name.includes('undici')),
    }));`;
  const { stdout, stderr, code } = await runScript(script);
  expect(code, stderr).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ status: 200, body: 'answered /path?q=1', undiciEntry: [], nodeUndici: [] });
}, 60_000);

test("loadHtml is cheerio's load with parse5: a table row gets the tbody HTML's rules imply", () => {
  const $ = loadHtml('<table><tr><td>a cell</td></tr></table>');
  expect($('table > tbody > tr > td').text()).toBe('a cell');
  expect($('html > body > table').length).toBe(1);
});
