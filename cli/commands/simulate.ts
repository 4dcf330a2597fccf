import type { Command } from 'commander';
import { untilInterrupted } from '../context.js';
import { wholeNumber } from '../options.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('serve the local Alaveteli simulator (a stand-in for WhatDoTheyKnow) on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 0, 65_535), 8765)
    .option('--requests <n>', 'number of requests to generate (up to 100000)', wholeNumber('--requests', 1, 100_000), 200)
    .option('--seed <n>', 'seed for the generated site (a 32-bit number)', wholeNumber('--seed', 0, 4_294_967_295), 1)
    .option('--latency <ms>', 'answer each request this many ms after it came in, as a site across a network does (up to 60000)', wholeNumber('--latency', 0, 60_000), 0)
    .action(async (opts: { port: number; requests: number; seed: number; latency: number }) => {
      const { startSimulator } = await import('../../fixtures/site/index.js');
      const simulator = await startSimulator({ port: opts.port, requests: opts.requests, seed: opts.seed, latencyMs: opts.latency });
      process.stdout.write(
        `simulator: ${opts.requests} requests (seed ${opts.seed}${opts.latency ? `, answers after ${opts.latency} ms` : ''}) at ${simulator.url}\n` +
          `  try: curl ${simulator.url}/list   curl ${simulator.url}/robots.txt\n` +
          `  Ctrl-C to stop\n`,
      );
      await untilInterrupted();
      await simulator.close();
    });
}
