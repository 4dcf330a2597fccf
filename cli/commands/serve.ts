import type { Command } from 'commander';
import { FOR_SERVING, globalsOf, printJson, untilInterrupted, withArchive } from '../context.js';
import { wholeNumber } from '../options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web UI and JSON API (set WEB_TOKEN to require a read token) until interrupted')
    .option('--port <n>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 0, 65_535), 8080)
    .option('--host <address>', 'address to listen on; 0.0.0.0 exposes it to the network', '127.0.0.1')
    .action(async (opts: { port: number; host: string }, command: Command) => {
      const { serve } = await import('../../web/index.js');
      const globals = globalsOf(command);
      const token = process.env.WEB_TOKEN || undefined;
      await withArchive(globals, async (archive) => {
        const server = await serve(archive, { port: opts.port, host: opts.host, token });
        if (globals.json) printJson({ url: server.url, tokenRequired: token !== undefined });
        else process.stdout.write(`serving the archive at ${server.url}${token ? ' (read token required)' : ''}\n  Ctrl-C to stop\n`);
        await untilInterrupted();
        await server.close();
      }, FOR_SERVING);
    });
}
