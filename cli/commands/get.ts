import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { AttachmentDetail } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('write an original exactly as released, checking its sha256, plus <name>.provenance.json beside it')
    .argument('<attachment>', 'attachment id (as `show` lists it) or sha256')
    .option('-o, --output-dir <dir>', 'directory to write into', '.')
    .action(async (idOrSha: string, flags: { outputDir: string }, command: Command) => {
      const globals = globalsOf(command);
      const written = await withArchive(globals, async (archive) => {
        const attachment = await archive.getAttachment(idOrSha);
        if (!attachment) throw new CliError(`no attachment "${idOrSha}" in the archive`);
        const sha256 = attachment.blob?.sha256;
        if (!sha256) throw new CliError(`attachment ${attachment.id} has no stored original (${attachment.hidden ? 'hidden on the site' : 'not fetched yet'})`);
        await mkdir(flags.outputDir, { recursive: true });
        const file = path.join(flags.outputDir, safeFilename(attachment.filename, sha256));
        await copyChecked(await archive.blobs.get(sha256), file, sha256);
        const provenanceFile = `${file}.provenance.json`;
        await writeFile(provenanceFile, `${JSON.stringify(provenance(attachment, sha256), null, 2)}\n`);
        return { file, provenanceFile, sha256, size: attachment.blob?.size ?? null };
      });
      if (globals.json) printJson(written);
      else process.stdout.write(`${written.file}\n  sha256 ${written.sha256} (checked)\n${written.provenanceFile}\n`);
    });
}

/** A display filename from the site, made safe to create: no directories, no hidden files, no control characters. */
export function safeFilename(name: string | null, sha256: string): string {
  const cleaned = (name ?? '')
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
  return cleaned || sha256;
}

/** Streams the blob to `file`, hashing as it writes; a mismatch deletes the file and fails. */
async function copyChecked(source: NodeJS.ReadableStream, file: string, expected: string): Promise<void> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(file));
  const actual = hash.digest('hex');
  if (actual !== expected) {
    await rm(file, { force: true });
    throw new CliError(`the stored original for ${expected} now hashes to ${actual}: not written (run \`wdtk-archive verify\`)`);
  }
}

function provenance(a: AttachmentDetail, sha256: string): object {
  return {
    sha256,
    size: a.blob?.size ?? a.size,
    filename: a.filename,
    contentType: a.contentType,
    sniffedType: a.blob?.sniffedType ?? null,
    sourceUrl: a.sourceUrl,
    capture: a.capture && {
      url: a.capture.url,
      fetchedAt: a.capture.fetchedAt.toISOString(),
      status: a.capture.status,
      method: a.capture.method,
      requestHeaders: a.capture.requestHeaders,
      responseHeaders: a.capture.responseHeaders,
      runId: a.capture.runId,
    },
    request: {
      remoteId: a.request.remoteId,
      urlTitle: a.request.urlTitle,
      title: a.request.title,
      authority: a.request.authority,
      removedAt: a.request.removedAt?.toISOString() ?? null,
      removalReason: a.request.removalReason,
    },
    message: a.message && {
      kind: a.message.kind,
      id: a.message.messageId,
      eventId: a.message.eventId,
      time: a.message.time?.toISOString() ?? null,
      author: a.message.author,
    },
    attachment: { id: a.id, incomingMessageId: a.incomingMessageId, part: a.part, remoteId: a.remoteId },
  };
}
