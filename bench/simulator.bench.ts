// Measures the Alaveteli simulator: boot time and memory by site size, the cost of a deep /list page, and how
// fast it generates attachments.
import { generateDocument, generatedKinds } from '../fixtures/site/documents/index.js';
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

const generationCpuStart = process.cpuUsage();
const generationStart = performance.now();
let generatedBytes = 0;
for (let index = 0; index < 1000; index++) {
  generatedBytes += generateDocument(generatedKinds[index % generatedKinds.length] ?? 'pdf', index).bytes.length;
}
const generationCpu = process.cpuUsage(generationCpuStart);
process.stdout.write(
  `generated 1,000 mixed documents (${(generatedBytes / 1e6).toFixed(1)} MB) in ${(performance.now() - generationStart).toFixed(0)}ms ` +
    `wall, ${((generationCpu.user + generationCpu.system) / 1000).toFixed(0)}ms CPU\n`,
);
