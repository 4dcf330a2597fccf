import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Archive, AttachmentDetail, CaptureSummary, RequestDetail } from '../../storage/index.js';
import { globalsOf, printJson, withArchive } from '../context.js';
import { CliError } from '../errors.js';
import { sha256OfFile, temporaryIn, writeFileReplacing } from '../files.js';

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('write an original exactly as released, checking its sha256, plus <name>.provenance.json beside it; never over another file')
    .argument('<attachment>', 'attachment id (as `show` lists it) or sha256; with --snapshot, a request slug or id')
    .option('-o, --output-dir <dir>', 'directory to write into (created if missing)', '.')
    .option('--snapshot', "write the request's newest page snapshot (PDF and PNG, as `snapshot` made them) instead of an attachment")
    .action(async (idOrSha: string, flags: { outputDir: string; snapshot?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const written = await withArchive(globals, (archive) => (flags.snapshot ? writeSnapshot(archive, idOrSha, flags.outputDir) : writeAttachment(archive, idOrSha, flags.outputDir)));
      if (globals.json) printJson(flags.snapshot ? written : written[0]);
      else process.stdout.write(written.map(describeWritten).join(''));
    });
}

interface Written {
  file: string;
  unchanged: boolean;
  occupied: string[];
  provenanceFile: string;
  sha256: string;
  size: number;
}

function describeWritten(got: Written): string {
  const checked = got.unchanged ? 'already there, unchanged' : 'checked';
  const kept = got.occupied.map((file) => `  ${file} holds another file: left as it is\n`).join('');
  return `${got.file}\n  sha256 ${got.sha256} (${checked})\n${kept}${got.provenanceFile}\n`;
}

async function writeAttachment(archive: Archive, idOrSha: string, dir: string): Promise<Written[]> {
  const attachment = await archive.getAttachment(idOrSha);
  if (!attachment) throw new CliError(`no attachment "${idOrSha}" in the archive`);
  const sha256 = attachment.blob?.sha256;
  if (!sha256) throw new CliError(`attachment ${attachment.id} has no stored original (${attachment.hidden ? 'hidden on the site' : 'not fetched yet'})`);
  const isThisAttachment = (p: Provenance) => p.attachment?.id === attachment.id;
  const { attachmentCitation } = await import('../../storage/index.js');
  const citation = attachmentCitation(attachment);
  return [await writeOriginal(archive, dir, safeFilename(attachment.filename, sha256), sha256, isThisAttachment, (size) => provenance(attachment, sha256, size, citation))];
}

/** A snapshot is evidence of how the page looked: it is written with the capture it was rendered from. */
async function writeSnapshot(archive: Archive, slugOrId: string, dir: string): Promise<Written[]> {
  const request = await archive.getRequest(slugOrId, { includeRemoved: true });
  if (!request) throw new CliError(`no archived request matches ${slugOrId}`);
  const capture = request.captures
    .filter((c) => c.snapshotPdfSha256 || c.snapshotPngSha256)
    .sort((a, b) => b.fetchedAt.getTime() - a.fetchedAt.getTime() || b.id - a.id)[0];
  if (!capture) throw new CliError(`request ${request.urlTitle} has no snapshot; make one with \`wdtk-archive snapshot ${request.urlTitle}\``);
  const written: Written[] = [];
  for (const [format, sha256] of [['pdf', capture.snapshotPdfSha256], ['png', capture.snapshotPngSha256]] as const) {
    if (!sha256) continue;
    const isThisSnapshot = (p: Provenance) => p.snapshot?.captureId === capture.id && p.snapshot.format === format;
    const name = safeFilename(`${request.urlTitle}.snapshot.${format}`, sha256);
    written.push(await writeOriginal(archive, dir, name, sha256, isThisSnapshot, (size) => snapshotProvenance(request, capture, format, sha256, size)));
  }
  return written;
}

/** Copies a stored original into `dir` under `name` (or a numbered copy of it) through a checked temporary file. */
async function writeOriginal(
  archive: Archive,
  dir: string,
  name: string,
  sha256: string,
  describesThis: (p: Provenance) => boolean,
  provenanceFor: (size: number) => object,
): Promise<Written> {
  await mkdir(dir, { recursive: true });
  const temporary = temporaryIn(dir);
  try {
    const size = await copyChecked(await archive.blobs.get(sha256), temporary, sha256);
    const placed = await place(temporary, dir, name, sha256, describesThis);
    // Only once the original is in place: provenance beside a file that is not there would describe nothing.
    const provenanceFile = provenanceOf(placed.file);
    await writeFileReplacing(provenanceFile, `${JSON.stringify(provenanceFor(size), null, 2)}\n`);
    return { ...placed, provenanceFile, sha256, size };
  } finally {
    await rm(temporary, { force: true });
  }
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

/** What `get` reads back from a provenance file it may have written: which original it describes. */
interface Provenance {
  attachment?: { id?: unknown };
  snapshot?: { captureId?: unknown; format?: unknown };
}

/** Whether `file`'s provenance is missing or `describesThis`: then the file is this original's to update. */
async function provenanceAllows(file: string, describesThis: (p: Provenance) => boolean): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(provenanceOf(file), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  try {
    return describesThis(JSON.parse(text) as Provenance);
  } catch {
    return false;
  }
}

/**
 * Puts the checked original at the first of `name`, `name (2)`... that is free, or that already holds the same bytes
 * for this original (then it is left as it is and the temporary file dropped). A name holding anything else, even the
 * same bytes under another original's provenance, is never written over: a journalist's copy is evidence too.
 */
async function place(
  temporary: string,
  dir: string,
  name: string,
  sha256: string,
  describesThis: (p: Provenance) => boolean,
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
    if (there.isFile() && (await sha256OfFile(file)) === sha256 && (await provenanceAllows(file, describesThis))) return { file, unchanged: true, occupied };
    occupied.push(file);
  }
  throw new CliError(`${dir} already holds ${name} and ${MAX_COPY - 1} numbered copies of other files: choose another directory with -o`);
}

/** Streams the blob to `file` (a new temporary file), hashing as it writes; a mismatch fails. Returns its size. */
async function copyChecked(source: NodeJS.ReadableStream, file: string, expected: string): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(file, { flags: 'wx', flush: true }));
  const actual = hash.digest('hex');
  if (actual !== expected) throw new CliError(`the stored original for ${expected} now hashes to ${actual}: not written (run \`wdtk-archive verify\`)`);
  return size;
}

/** `citation`: the text to paste, as the attachment's web page gives it. */
function provenance(a: AttachmentDetail, sha256: string, size: number, citation: string | null): object {
  return {
    sha256,
    size,
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
    citation,
  };
}

function snapshotProvenance(request: RequestDetail, capture: CaptureSummary, format: 'pdf' | 'png', sha256: string, size: number): object {
  return {
    sha256,
    size,
    // Rendered offline from the stored page below, with every request the page made blocked; when is not recorded.
    snapshot: { format, captureId: capture.id },
    renderedFrom: { url: capture.url, fetchedAt: capture.fetchedAt.toISOString(), status: capture.status, sha256: capture.sha256, size: capture.size },
    request: {
      remoteId: request.remoteId,
      urlTitle: request.urlTitle,
      title: request.title,
      authority: request.authority,
      removedAt: request.removedAt?.toISOString() ?? null,
      removalReason: request.removalReason,
    },
  };
}
