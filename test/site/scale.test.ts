import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../fixtures/site/index.js';

/** CPU time, not wall time: CI machines are shared, and the simulator runs in this process. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

describe('scaling', () => {
  it('boots a 20-request site in well under a second of CPU and a 10,000-request site in seconds', async () => {
    let started = process.cpuUsage();
    const small = await startSimulator({ requests: 20 });
    expect(cpuMs(started)).toBeLessThan(1000);
    await small.close();
    started = process.cpuUsage();
    const large = await startSimulator({ requests: 10_000 });
    expect(cpuMs(started)).toBeLessThan(10_000);
    const list = await fetch(`${large.url}/list?page=20`);
    expect(list.status).toBe(200);
    expect(await list.text()).toMatch(/About \d{4} FOI requests found/);
    expect((await fetch(`${large.url}/list?page=21`)).status).toBe(404);
    await large.close();
  });
});
