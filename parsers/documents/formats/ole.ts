// OLE compound files ([MS-CFB]): Word 97-2003, Excel 97-2003 and Outlook MSG all live in one.
import CFB from 'cfb';
import iconv from 'iconv-lite';
import type { DocumentMetadata } from '../types.js';

const HEADER_BYTES = 512;
const HEADER_FAT_SECTORS = 109;
const DIRECTORY_ENTRY_BYTES = 128;
const MAX_REGULAR_SECTOR = 0xfffffffa;
const END_OF_CHAIN = 0xfffffffe;
const STREAM = 2;
const ROOT = 5;

const isRegular = (sector: number | undefined): sector is number => sector !== undefined && sector <= MAX_REGULAR_SECTOR;

/**
 * What is wrong with a compound file's sector chains, or undefined. The OLE readers we use (msgreader,
 * word-extractor) follow the chains without checking them: on a truncated file they read past the end and fail
 * with a message about something else, and on a directory chain that loops back on itself msgreader never returns.
 */
export function compoundFileFault(bytes: Uint8Array): string | undefined {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (file.length < HEADER_BYTES) return `truncated: ${file.length} bytes, less than the ${HEADER_BYTES}-byte header`;
  const sectorShift = file.readUInt16LE(0x1e);
  if (sectorShift !== 9 && sectorShift !== 12) return `sector size 2^${sectorShift} is neither 512 nor 4096 bytes`;
  const sectorSize = 1 << sectorShift;
  // A last sector cut short still counts: some writers do not pad it.
  const sectorsInFile = Math.max(0, Math.ceil((file.length - sectorSize) / sectorSize));
  const sector = (index: number) => file.subarray((index + 1) * sectorSize, (index + 2) * sectorSize);
  const truncated = (needed: number) => `truncated: it refers to ${needed} sectors of ${sectorSize} bytes and holds ${sectorsInFile}`;

  const fatSectors: number[] = [];
  for (let i = 0; i < HEADER_FAT_SECTORS; i++) {
    const index = file.readUInt32LE(0x4c + i * 4);
    if (isRegular(index)) fatSectors.push(index);
  }
  const seenDifat = new Set<number>();
  for (let difat = file.readUInt32LE(0x44); isRegular(difat); ) {
    if (seenDifat.has(difat)) return 'the list of allocation table sectors loops back on itself';
    if (difat >= sectorsInFile) return truncated(difat + 1);
    seenDifat.add(difat);
    const entries = sector(difat);
    for (let offset = 0; offset + 4 < sectorSize; offset += 4) {
      const index = entries.readUInt32LE(offset);
      if (isRegular(index)) fatSectors.push(index);
    }
    difat = entries.readUInt32LE(sectorSize - 4);
  }
  const fatBeyond = fatSectors.find((index) => index >= sectorsInFile);
  if (fatBeyond !== undefined) return truncated(fatBeyond + 1);

  const fat = readTable(fatSectors.map(sector));
  if (hasLoop(fat)) return 'a sector chain loops back on itself';
  // Unused entries are not always marked free (SheetJS writes end-of-chain), so what the file needs is what its
  // chains lead to and where its directory says chains start.
  const starts = [file.readUInt32LE(0x30), file.readUInt32LE(0x3c)];
  const miniStreamCutoff = file.readUInt32LE(0x38);
  const links: number[][] = [];
  for (let index = file.readUInt32LE(0x30); isRegular(index) && index < sectorsInFile; index = fat[index] ?? END_OF_CHAIN) {
    const entries = sector(index);
    for (let offset = 0; offset + DIRECTORY_ENTRY_BYTES <= entries.length; offset += DIRECTORY_ENTRY_BYTES) {
      const type = entries[offset + 0x42];
      const size = entries.readUInt32LE(offset + 0x78);
      if ((type === STREAM && size >= miniStreamCutoff) || (type === ROOT && size > 0)) starts.push(entries.readUInt32LE(offset + 0x74));
      links.push([entries.readUInt32LE(offset + 0x44), entries.readUInt32LE(offset + 0x48), entries.readUInt32LE(offset + 0x4c)]);
    }
  }
  let needed = 0;
  for (const index of [...fat, ...starts]) if (isRegular(index) && index >= needed) needed = index + 1;
  if (needed > sectorsInFile) return truncated(needed);
  const treeFault = directoryTreeFault(links);
  if (treeFault) return treeFault;

  const miniFatSectors: number[] = [];
  for (let index = file.readUInt32LE(0x3c); isRegular(index) && index < fat.length; index = fat[index]!) miniFatSectors.push(index);
  if (hasLoop(readTable(miniFatSectors.map(sector)))) return 'a mini-stream sector chain loops back on itself';
  return undefined;
}

/** The directory is a tree of left, right and child links from the root entry: each entry is reached once. */
function directoryTreeFault(links: number[][]): string | undefined {
  if (links.length === 0) return 'no directory';
  const reached = new Uint8Array(links.length);
  const pending = [0];
  while (pending.length > 0) {
    const index = pending.pop()!;
    if (reached[index]) return `the directory loops: entry ${index} is reached twice`;
    reached[index] = 1;
    for (const link of links[index]!) {
      if (!isRegular(link)) continue;
      if (link >= links.length) return `directory entry ${index} links to entry ${link}, and there are ${links.length}`;
      pending.push(link);
    }
  }
  return undefined;
}

function readTable(sectors: Buffer[]): number[] {
  const table: number[] = [];
  for (const entries of sectors) for (let offset = 0; offset + 4 <= entries.length; offset += 4) table.push(entries.readUInt32LE(offset));
  return table;
}

/** Whether following `next` from any entry comes back to an entry of the same walk. */
function hasLoop(next: number[]): boolean {
  const state = new Uint8Array(next.length); // 0 unvisited, 1 on the current walk, 2 known to end
  for (let start = 0; start < next.length; start++) {
    const walk: number[] = [];
    let index = start;
    while (index < next.length && state[index] === 0) {
      state[index] = 1;
      walk.push(index);
      index = next[index]!;
    }
    if (index < next.length && state[index] === 1) return true;
    for (const visited of walk) state[visited] = 2;
  }
  return false;
}

// The summary information property set ([MS-OLEPS] 2.21, [MS-OSHARED] 2.3.3.2.1): property ids and value types.
const SUMMARY_INFORMATION = '\u0005SummaryInformation';
const PID_CODEPAGE = 1;
const PID_TITLE = 2;
const PID_SUBJECT = 3;
const PID_AUTHOR = 4;
const PID_CREATED = 12;
const PID_LAST_SAVED = 13;
const PID_PAGE_COUNT = 14;
const PID_APP_NAME = 18;
const VT_I2 = 0x02;
const VT_I4 = 0x03;
const VT_LPSTR = 0x1e;
const VT_LPWSTR = 0x1f;
const VT_FILETIME = 0x40;
const FILETIME_UNIX_EPOCH_MS = 11_644_473_600_000;
const CODEPAGE_UTF16 = 1200;
const CODEPAGE_UTF8 = 65001;

/** Title, subject, author, dates, page count and the application that wrote it, from `\x05SummaryInformation`. */
export function summaryInformation(bytes: Uint8Array): DocumentMetadata {
  const container = CFB.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { type: 'buffer' });
  const content = CFB.find(container, SUMMARY_INFORMATION)?.content;
  if (!content || content.length === 0) return {};
  const values = readPropertySet(Buffer.from(content));
  const metadata: DocumentMetadata = {};
  const text = (id: number) => {
    const value = values.get(id);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const fields = { title: text(PID_TITLE), subject: text(PID_SUBJECT), author: text(PID_AUTHOR), producer: text(PID_APP_NAME) };
  for (const [key, value] of Object.entries(fields)) if (value) metadata[key as keyof typeof fields] = value;
  const created = values.get(PID_CREATED);
  const modified = values.get(PID_LAST_SAVED);
  if (created instanceof Date) metadata.created = created.toISOString();
  if (modified instanceof Date) metadata.modified = modified.toISOString();
  const pageCount = values.get(PID_PAGE_COUNT);
  if (typeof pageCount === 'number' && pageCount > 0) metadata.pageCount = pageCount;
  return metadata;
}

/** The first property set of a property set stream: id to string, number or date. Values that do not fit are left out. */
function readPropertySet(stream: Buffer): Map<number, string | number | Date> {
  const values = new Map<number, string | number | Date>();
  if (stream.length < 48 || stream.readUInt16LE(0) !== 0xfffe) return values;
  const set = stream.readUInt32LE(44);
  if (set + 8 > stream.length) return values;
  const count = Math.min(stream.readUInt32LE(set + 4), Math.floor((stream.length - set - 8) / 8));
  const offsets = new Map<number, number>();
  for (let i = 0; i < count; i++) offsets.set(stream.readUInt32LE(set + 8 + i * 8), set + stream.readUInt32LE(set + 12 + i * 8));
  const codePageAt = offsets.get(PID_CODEPAGE);
  const codePage = codePageAt !== undefined && codePageAt + 6 <= stream.length ? stream.readUInt16LE(codePageAt + 4) : 1252;
  for (const [id, at] of offsets) {
    if (at + 8 > stream.length) continue;
    const type = stream.readUInt16LE(at);
    if (type === VT_I2) values.set(id, stream.readInt16LE(at + 4));
    else if (type === VT_I4) values.set(id, stream.readInt32LE(at + 4));
    else if (type === VT_LPSTR) values.set(id, decodeCodePage(stream.subarray(at + 8, at + 8 + stream.readUInt32LE(at + 4)), codePage));
    else if (type === VT_LPWSTR) values.set(id, cutAtNul(stream.subarray(at + 8, at + 8 + stream.readUInt32LE(at + 4) * 2).toString('utf16le')));
    else if (type === VT_FILETIME && at + 12 <= stream.length) {
      const ticks = stream.readBigUInt64LE(at + 4);
      const date = new Date(Number(ticks / 10_000n) - FILETIME_UNIX_EPOCH_MS);
      if (ticks > 0n && !Number.isNaN(date.getTime())) values.set(id, date);
    }
  }
  return values;
}

function decodeCodePage(bytes: Buffer, codePage: number): string {
  if (codePage === CODEPAGE_UTF16) return cutAtNul(bytes.toString('utf16le'));
  if (codePage === CODEPAGE_UTF8) return cutAtNul(bytes.toString('utf8'));
  const encoding = `cp${codePage}`;
  return cutAtNul(iconv.encodingExists(encoding) ? iconv.decode(bytes, encoding) : bytes.toString('latin1'));
}

function cutAtNul(text: string): string {
  const end = text.indexOf('\0');
  return end === -1 ? text : text.slice(0, end);
}
