import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import { DEFAULT_SITE } from './context.js';
import { siteUrl } from './options.js';
import { commands } from './commands/index.js';
import { version } from './version.js';

export function buildProgram(): Command {
  const program = new Command('wdtk-archive')
    .description('A polite, resumable archiver for WhatDoTheyKnow and other Alaveteli sites.')
    .version(version, '-V, --version')
    .addOption(new Option('--archive <dir>', 'archive directory (PGlite index and blob files)').env('ARCHIVE_DIR'))
    .addOption(new Option('--site <url>', 'base URL of the Alaveteli site').env('WDTK_SITE').default(DEFAULT_SITE).argParser(siteUrl))
    .option('--json', 'print data as JSON')
    .option('--verbose', 'print stack traces and debug logs')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  for (const command of program.commands) applyExitOverride(command);
  return program;
}

function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}

/** The error standard output gave once its reader went away, if it has; see quietOnClosedOutput. */
let closedOutput: NodeJS.ErrnoException | null = null;

/**
 * A reader that stops early (`export … | head -1`) closes the pipe, and each later write fails with EPIPE: no failure
 * of ours, as `git log | head` is none of git's. Without a listener the error would end the process with a stack
 * trace. With this one, what is left to print goes nowhere, and a command stopped by it ends quietly with exit 0.
 */
export function quietOnClosedOutput(stdout: NodeJS.WriteStream): void {
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closedOutput = error;
  });
}

/** Whether `error` only says that standard output has nowhere left to write. */
function isClosedOutput(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return closedOutput !== null && (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE');
}

/** Runs the CLI and returns the exit code: 0 success, 1 failure, 2 bad usage. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, argv.includes('--verbose'));
  }
}

async function reportError(error: unknown, verbose: boolean): Promise<number> {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isClosedOutput(error)) return 0;
  // Loaded on failure only: the storage module is not needed to start the CLI.
  const { describeFailure } = await import('../storage/index.js');
  process.stderr.write(`wdtk-archive: ${describeFailure(error)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return error instanceof UsageError ? 2 : 1;
}
