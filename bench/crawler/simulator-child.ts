// The simulator in a process of its own, driven by remote-simulator.ts over IPC.
import { startSimulator, type SimulatorOptions } from '../../fixtures/site/index.js';

export type SimulatorCall = { id: number; op: 'log' | 'clearLog' | 'groundTruth' | 'cpu' | 'close' } | { id: number; op: 'advance'; days: number };

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<SimulatorOptions, 'start'>;
const sim = await startSimulator(options);
const send = (message: unknown) => process.send!(message);
const cpuSeconds = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1e6;

process.on('message', async (call: SimulatorCall) => {
  try {
    if (call.op === 'log') send({ id: call.id, result: sim.log });
    else if (call.op === 'clearLog') send({ id: call.id, result: sim.clearLog() });
    else if (call.op === 'groundTruth') send({ id: call.id, result: sim.groundTruth() });
    else if (call.op === 'advance') send({ id: call.id, result: sim.advance(call.days) });
    else if (call.op === 'cpu') send({ id: call.id, result: cpuSeconds(process.cpuUsage()) });
    else {
      await sim.close();
      send({ id: call.id, result: null });
    }
  } catch (error) {
    send({ id: call.id, error: error instanceof Error ? error.message : String(error) });
  }
});
// A bench that ends or dies closes the channel; the site goes with it.
process.on('disconnect', () => process.exit(0));
send({ id: 0, result: sim.url });
