import type { Command } from 'commander';
import { registerCrawl } from './crawl.js';
import { registerDb } from './db.js';
import { registerExemptions } from './exemptions.js';
import { registerExport } from './export.js';
import { registerGet } from './get.js';
import { registerParse } from './parse.js';
import { registerPurge } from './purge.js';
import { registerRuns } from './runs.js';
import { registerSchedule } from './schedule.js';
import { registerSearch } from './search.js';
import { registerServe } from './serve.js';
import { registerShow } from './show.js';
import { registerSimulate } from './simulate.js';
import { registerSnapshot } from './snapshot.js';
import { registerTimeliness } from './timeliness.js';
import { registerVerify } from './verify.js';
import { registerWork } from './work.js';

/** Every command, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [
  registerCrawl,
  registerSchedule,
  registerWork,
  registerSearch,
  registerShow,
  registerGet,
  registerExport,
  registerExemptions,
  registerTimeliness,
  registerVerify,
  registerRuns,
  registerServe,
  registerSnapshot,
  registerParse,
  registerPurge,
  registerSimulate,
  registerDb,
];
