import { setFlagsFromString } from 'node:v8';
import { quietOnClosedOutput, runCli } from './index.js';

// V8 lets a busy isolate's young generation grow from 1 MiB to 16 MiB per semi-space, and a crawl keeps the pages it
// grew into. Kept at its starting size, a crawl's process is about 15 MiB smaller with no measurable cost in time
// (bench/README.md, part 23). V8 reads the factor each time it would grow the space, so setting it here takes effect.
setFlagsFromString('--semi-space-growth-factor=1');

quietOnClosedOutput(process.stdout);
process.exitCode = await runCli(process.argv.slice(2));
