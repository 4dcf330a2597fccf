import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { AttachmentDetail } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { sha256OfFile, temporaryIn, writeFileReplacing } from '../files.js';

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('write an original exactly as released, checking its sha256, plus <name>.provenance.json beside it; never over another file')
    .argument('<attachment>', 'attachment id (as `show` lists it) or sha256')
    .option('-o, --output-dir <dir>', 'directory to write into (created if missing)', '.')
    .action(async (idOrSha: string, flags: { outputDir: string }, command: Command) => {
      const globals = globalsOf(command);
      const got = await withArchive(globals, async (archive) => {
        const attachment = await archive.getAttachment(idOrSha);
        if (!attachment) throw new CliError(`no attachment "${idOrSha}" in the archive`);
        const sha256 = attachment.blob?.sha256;
        if (!sha256) throw new CliError(`attachment ${attachment.id} has no stored original (${attachment.hidden ? 'hidden on the site' : 'not fetched yet'})`);
        await mkdir(flags.outputDir, { recursive: true });
        const name = safeFilename(attachment.filename, sha256);
        const temporary = temporaryIn(flags.outputDir);
        try {
          await copyChecked(await archive.blobs.get(sha256), temporary, sha256);
          const placed = await place(temporary, flags.outputDir, name, sha256, attachment.id);
          // Only once the original is in place: provenance beside a file that is not there would describe nothing.
          const provenanceFile = provenanceOf(placed.file);
          await writeFileReplacing(provenanceFile, `${JSON.stringify(provenance(attachment, sha256), null, 2)}\n`);
          return { ...placed, provenanceFile, sha256, size: attachment.blob?.size ?? null };
        } finally {
          await rm(temporary, { force: true });
        }
      });
      if (globals.json) printJson(got);
      else {
        const checked = got.unchanged ? 'already there, unchanged' : 'checked';
        const kept = got.occupied.map((file) => `  ${file} holds another file: left as it is\n`).join('');
        process.stdout.write(`${got.file}\n  sha256 ${got.sha256} (${checked})\n${kept}${got.provenanceFile}\n`);
      }
    });
}

/** The most copies `get` numbers in one directory: `name (2).pdf` ... `name (9999).pdf`. */
const MAX_COPY = 9999;
const PROVENANCE_SUFFIX = '.provenance.json';
/** Most file systems (ext4, APFS, NTFS) take 255 bytes or units in a name; the provenance file's is the longest made. */
const NAME_BYTES = 255 - PROVENANCE_SUFFIX.length - ` (${MAX_COPY})`.length;
/** `.pdf`, `.docx`, `.xlsx`: what follows the last dot counts as an extension when it is this short and has no space. */
const EXTENSION = /\.[^.\s]{1,15}$/u;

const provenanceOf = (file: string) => `${file}${PROVENANCE_SUFFIX}`;

function splitExtension(name: string): { stem: string; extension: string } {
  const extension = EXTENSION.exec(name)?.[0] ?? '';
  return extension.length < name.length ? { stem: name.slice(0, name.length - extension.length), extension } : { stem: name, extension: '' };
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8, cut between code points. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const codePoint of text) {
    bytes += Buffer.byteLength(codePoint);
    if (bytes > maxBytes) break;
    end += codePoint.length;
  }
  return text.slice(0, end);
}

/**
 * A display filename from the site, made safe to create: no directories, no hidden files, no control characters, and
 * short enough in bytes for its provenance file and a copy number, keeping its extension.
 */
export function safeFilename(name: string | null, sha256: string): string {
  const cleaned = (name ?? '')
    // Format characters draw a name unlike what it is: after U+202E (right-to-left override), "gnp.exe" reads "exe.png".
    .replace(/\p{Cf}/gu, '')
    .replace(/[\p{Cc}\p{Cs}/\\]/gu, '_')
    .replace(/^\.+/, '')
    .trim();
  if (!cleaned) return sha256;
  const { stem, extension } = splitExtension(cleaned);
  return truncateUtf8(stem, NAME_BYTES - Buffer.byteLength(extension)) + extension;
}

/** `name`, then `name (2)`, `name (3)`... before the extension, as browsers number a download whose name is taken. */
function numbered(name: string, copy: number): string {
  if (copy === 1) return name;
  const { stem, extension } = splitExtension(name);
  return `${stem} (${copy})${extension}`;
}

/** Whether `file`'s provenance is missing or describes this attachment: then the file is this attachment's to update. */
async function provenanceIsFor(file: string, attachmentId: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(provenanceOf(file), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  try {
    return (JSON.parse(text) as { attachment?: { id?: unknown } }).attachment?.id === attachmentId;
  } catch {
    return false;
  }
}

/**
 * Puts the checked original at the first of `name`, `name (2)`... that is free, or that already holds the same bytes
 * for this attachment (then it is left as it is and the temporary file dropped). A name holding anything else, even the
 * same bytes under another attachment's provenance, is never written over: a journalist's copy is evidence too.
 */
async function place(
  temporary: string,
  dir: string,
  name: string,
  sha256: string,
  attachmentId: number,
): Promise<{ file: string; unchanged: boolean; occupied: string[] }> {
  const occupied: string[] = [];
  for (let copy = 1; copy <= MAX_COPY; copy++) {
    const file = path.join(dir, numbered(name, copy));
    const there = await lstat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!there) {
      // A provenance file without its original is someone's too.
      if (await lstat(provenanceOf(file)).then(() => true, () => false)) {
        occupied.push(provenanceOf(file));
        continue;
      }
      // Another process could take the name between the look and the rename; `get` is run by hand, one at a time.
      await rename(temporary, file);
      return { file, unchanged: false, occupied };
    }
    if (there.isFile() && (await sha256OfFile(file)) === sha256 && (await provenanceIsFor(file, attachmentId))) return { file, unchanged: true, occupied };
    occupied.push(file);
  }
  throw new CliError(`${dir} already holds ${name} and ${MAX_COPY - 1} numbered copies of other files: choose another directory with -o`);
}

/** Streams the blob to `file` (a new temporary file), hashing as it writes; a mismatch fails. */
async function copyChecked(source: NodeJS.ReadableStream, file: string, expected: string): Promise<void> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(file, { flags: 'wx', flush: true }));
  const actual = hash.digest('hex');
  if (actual !== expected) throw new CliError(`the stored original for ${expected} now hashes to ${actual}: not written (run \`wdtk-archive verify\`)`);
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
