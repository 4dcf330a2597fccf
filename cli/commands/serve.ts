import type { Command } from 'commander';
import { FOR_SERVING, globalsOf, printJson, untilInterrupted, withArchive } from '../context.js';
import { rootUrl, wholeNumber } from '../options.js';

const publicUrl = rootUrl('--public-url (WEB_PUBLIC_URL)', 'the web UI', 'https://archive.example.org');

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web UI and JSON API (set WEB_TOKEN to require a read token) until interrupted')
    .option('--port <n>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 0, 65_535), 8080)
    .option('--host <address>', 'address to listen on; 0.0.0.0 exposes it to the network', '127.0.0.1')
    .option('--public-url <url>', "the root address readers reach it at, behind a proxy (feeds' links are absolute; env WEB_PUBLIC_URL)", publicUrl)
    .action(async (opts: { port: number; host: string; publicUrl?: string }, command: Command) => {
      const { serve } = await import('../../web/index.js');
      const globals = globalsOf(command);
      const token = process.env.WEB_TOKEN || undefined;
      // Empty counts as unset, as for WEB_TOKEN: docker-compose passes an unset variable on as an empty one.
      const publicAddress = opts.publicUrl ?? (process.env.WEB_PUBLIC_URL ? publicUrl(process.env.WEB_PUBLIC_URL) : undefined);
      await withArchive(globals, async (archive) => {
        const server = await serve(archive, { port: opts.port, host: opts.host, token, ...(publicAddress ? { publicUrl: publicAddress } : {}) });
        if (globals.json) printJson({ url: server.url, tokenRequired: token !== undefined });
        else process.stdout.write(`serving the archive at ${server.url}${token ? ' (read token required)' : ''}\n  Ctrl-C to stop\n`);
        await untilInterrupted();
        await server.close();
      }, FOR_SERVING);
    });
}
