// Measures the Alaveteli simulator: boot time and memory by site size, and the cost of a deep /list page.
import { startSimulator } from '../fixtures/site/index.js';

for (const requests of [20, 200, 2_000, 10_000]) {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const sim = await startSimulator({ requests });
  const cpu = process.cpuUsage(cpuStart);
  const bootMs = performance.now() - wallStart;
  const listStart = performance.now();
  await (await fetch(`${sim.url}/list?page=20`)).text();
  const listMs = performance.now() - listStart;
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  process.stdout.write(
    `requests=${requests} boot=${bootMs.toFixed(0)}ms cpu=${((cpu.user + cpu.system) / 1000).toFixed(0)}ms ` +
      `list_page_20=${listMs.toFixed(0)}ms heap=${heapMb.toFixed(0)}MB\n`,
  );
  await sim.close();
}
