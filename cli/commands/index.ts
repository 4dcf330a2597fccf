import type { Command } from 'commander';
import { registerDb } from './db.js';
import { registerParse } from './parse.js';
import { registerSimulate } from './simulate.js';

/** Every command, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [registerParse, registerSimulate, registerDb];
