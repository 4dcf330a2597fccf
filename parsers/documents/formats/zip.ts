import yauzl from 'yauzl';
import { errorMessage, type ExtractContext } from '../context.js';
import type { ExtractResult } from '../types.js';

/** Entries larger than this must also respect maxRatio; small files of zeros are harmless. */
const RATIO_CHECK_FLOOR = 1024 * 1024;

// yauzl 3 exports this, but @types/yauzl still describes yauzl 2.
const { getFileNameLowLevel } = yauzl as unknown as {
  getFileNameLowLevel(flags: number, name: Buffer, extraFields: yauzl.Entry['extraFields'], strictFileNames: boolean): string;
};

export interface ZipMember {
  name: string;
  bytes: Buffer;
}

export type ExtractChild = (bytes: Uint8Array, name: string) => Promise<void>;

/**
 * Entry names are archive data, not paths: backslashes become slashes, NULs and control characters go,
 * and `..`, `.`, empty segments and drive letters are dropped, so the name can never climb out of a folder.
 */
export function sanitiseEntryName(raw: string): string {
  const segments = raw
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/\\/g, '/')
    .split('/')
    .map((segment) => segment.replace(/^[a-zA-Z]:$/, '').trim())
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
  return segments.join('/') || 'unnamed';
}

function openZip(bytes: Uint8Array): Promise<yauzl.ZipFile> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true }, (error, zip) =>
      error ? reject(error) : resolve(zip),
    );
  });
}

/** Walks the central directory; `visit` returns false to stop early. */
async function eachEntry(zip: yauzl.ZipFile, visit: (entry: yauzl.Entry, name: string) => Promise<boolean>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    const finish = (error?: unknown) => {
      if (stopped) return;
      stopped = true;
      zip.close();
      if (error) reject(error);
      else resolve();
    };
    zip.on('error', finish);
    zip.on('end', () => finish());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileName as unknown as Buffer, entry.extraFields, false);
      visit(entry, name).then(
        (more) => (more ? zip.readEntry() : finish()),
        (error: unknown) => finish(error),
      );
    });
    zip.readEntry();
  });
}

function readEntryBytes(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number, keep = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) return reject(error);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // yauzl already checks the declared size; this bounds memory even if the header lies.
        if (size > maxBytes) {
          stream.destroy(new Error(`entry inflates past ${maxBytes} bytes`));
          return;
        }
        if (keep) chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Why an entry must not be inflated, or undefined when it may; counts it against the tree's budget when allowed. */
function refusal(entry: yauzl.Entry, ctx: ExtractContext): string | undefined {
  const { maxBytes, maxTotalUncompressed, maxEntries, maxRatio } = ctx.limits;
  if (ctx.entriesRead >= maxEntries) return `more than ${maxEntries} archive entries (maxEntries)`;
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) return 'encrypted';
  if (entry.uncompressedSize > maxBytes) return `${entry.uncompressedSize} bytes uncompressed exceeds maxBytes ${maxBytes}`;
  if (ctx.uncompressedTotal + entry.uncompressedSize > maxTotalUncompressed) {
    return `total uncompressed size would exceed ${maxTotalUncompressed} bytes (maxTotalUncompressed): possible zip bomb`;
  }
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.uncompressedSize > RATIO_CHECK_FLOOR && ratio > maxRatio) {
    return `compression ratio ${Math.round(ratio)}:1 exceeds ${maxRatio}:1 (maxRatio): possible zip bomb`;
  }
  ctx.entriesRead++;
  ctx.uncompressedTotal += entry.uncompressedSize;
  return undefined;
}

export async function extractZip(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult, extractChild: ExtractChild): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (error) {
    result.warnings.push(`unreadable ZIP: ${errorMessage(error)}`);
    return;
  }
  if (zip.entryCount > ctx.limits.maxEntries) {
    result.warnings.push(`archive lists ${zip.entryCount} entries; only the first ${ctx.limits.maxEntries} are considered (maxEntries)`);
  }
  try {
    await eachEntry(zip, async (entry, rawName) => {
      ctx.checkTime();
      if (rawName.endsWith('/') || rawName.endsWith('\\')) return true;
      const name = sanitiseEntryName(rawName);
      if (name !== rawName) result.warnings.push(`entry name ${JSON.stringify(rawName)} sanitised to ${JSON.stringify(name)}`);
      const refused = refusal(entry, ctx);
      if (refused) {
        result.warnings.push(`entry ${JSON.stringify(name)} not extracted: ${refused}`);
        return ctx.entriesRead < ctx.limits.maxEntries;
      }
      let entryBytes: Buffer;
      try {
        entryBytes = await readEntryBytes(zip, entry, Math.min(ctx.limits.maxBytes, entry.uncompressedSize));
      } catch (error) {
        result.warnings.push(`entry ${JSON.stringify(name)} unreadable: ${errorMessage(error)}`);
        return true;
      }
      await extractChild(entryBytes, name);
      return true;
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'ExtractError') throw error;
    result.warnings.push(`ZIP stopped early: ${errorMessage(error)}`);
  }
}

/**
 * Reads the members of an office container (DOCX, ODT, ...) that `wanted` selects, under the same
 * size, ratio and count limits as any archive; returns undefined, with a warning, when the container is refused.
 * With `keep` false the members are inflated and dropped: a check, before a library unzips it all in memory.
 */
export async function readContainer(
  bytes: Uint8Array,
  ctx: ExtractContext,
  result: ExtractResult,
  wanted: (name: string) => boolean,
  keep = true,
): Promise<ZipMember[] | undefined> {
  const members: ZipMember[] = [];
  let refused: string | undefined;
  try {
    const zip = await openZip(bytes);
    await eachEntry(zip, async (entry, name) => {
      if (!wanted(name)) return true;
      refused = refusal(entry, ctx);
      if (refused) {
        refused = `${name}: ${refused}`;
        return false;
      }
      members.push({ name, bytes: await readEntryBytes(zip, entry, entry.uncompressedSize, keep) });
      return true;
    });
  } catch (error) {
    result.warnings.push(`unreadable ${result.type.toUpperCase()} container: ${errorMessage(error)}`);
    return undefined;
  }
  if (refused) {
    result.warnings.push(`${result.type.toUpperCase()} not extracted: ${refused}`);
    return undefined;
  }
  return members;
}
