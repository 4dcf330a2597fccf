// The program's public face: what bin/wdtk-archive.js and the tests run.
export { buildProgram, quietOnClosedOutput, runCli } from './program.js';
export { ENVIRONMENT } from './context.js';
