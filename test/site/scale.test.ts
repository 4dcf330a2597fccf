import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../fixtures/site/index.js';

// Boot time by site size is measured by bench/simulator.bench.ts, not here.
describe('scaling', () => {
  it('serves a 10,000-request site to the listing cap of 20 pages', async () => {
    const large = await startSimulator({ requests: 10_000 });
    try {
      const list = await fetch(`${large.url}/list?page=20`);
      expect(list.status).toBe(200);
      expect(await list.text()).toMatch(/About \d{4} FOI requests found/);
      expect((await fetch(`${large.url}/list?page=21`)).status).toBe(404);
    } finally {
      await large.close();
    }
  });
});
