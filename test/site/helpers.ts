import type { Simulator } from '../../fixtures/site/index.js';

export async function get(sim: Simulator, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, { redirect: 'manual', headers: { 'user-agent': 'site-tests', ...headers } });
}

export async function text(sim: Simulator, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await get(sim, path, headers);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Slugs of every request reachable through /request_event redirects, including hidden ones (prominence is not checked there). */
export async function slugsByEvent(sim: Simulator, maxEventId: number): Promise<Map<string, number>> {
  const slugs = new Map<string, number>();
  for (let id = 1; id <= maxEventId; id++) {
    const response = await get(sim, `/request_event/${id}`);
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status === 301 && location) slugs.set(location.replace(/#.*$/, '').replace('/request/', ''), id);
  }
  return slugs;
}
