import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

// undici's entry module loads all of undici (fetch, WebSocket, mocks, caches, proxies) and, because its cookies
// module reads `globalThis.Headers`, Node's own bundled copy of undici as well: 29 MiB of resident memory on Node 24
// (bench/README.md, part 27). The crawler needs one Agent and `request`, so it loads their modules alone. undici is
// pinned in package.json; test/crawler-http/lean-imports.test.ts fails if an upgrade moves them.
const requireFromUndici = createRequire(import.meta.url);

export const Agent = requireFromUndici('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;

const requestOnDispatcher = requireFromUndici('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/** undici's `request(url, { dispatcher, ... })`, without its entry module. */
export function request(
  url: URL,
  { dispatcher, ...options }: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  return requestOnDispatcher.call(dispatcher, { ...options, origin: url.origin, path: `${url.pathname}${url.search}` });
}
