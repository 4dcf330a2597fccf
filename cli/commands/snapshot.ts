import type { Command } from 'commander';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .argument('<slug-or-id>', "the request's url_title or id")
    .description("render the latest archived page of a request to PDF and PNG, offline (nothing is fetched), and keep both")
    .action(async (slugOrId: string, _opts: unknown, command: Command) => {
      const { latestPageCapture, snapshotCapture } = await import('../../crawler/index.js');
      const globals = globalsOf(command);
      await withArchive(globals, async (archive) => {
        const request = await archive.getRequest(slugOrId, { includeRemoved: true });
        if (!request) throw new CliError(`no archived request matches ${slugOrId}`);
        const captureId = await latestPageCapture(archive, request.id);
        if (captureId === null) throw new CliError(`request ${request.urlTitle} has no archived page to render; crawl it first`);
        const result = await snapshotCapture(archive, captureId);
        if (globals.json) printJson({ request: request.urlTitle, captureId, pdfSha256: result.pdfSha256, pngSha256: result.pngSha256 });
        else process.stdout.write(`snapshot of ${request.urlTitle} (capture ${captureId})\n  pdf sha256 ${result.pdfSha256}\n  png sha256 ${result.pngSha256}\n`);
      });
    });
}
