// OLE compound files ([MS-CFB]): Word 97-2003, Excel 97-2003 and Outlook MSG all live in one.
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
