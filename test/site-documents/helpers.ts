import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Extractors differ in spacing and line breaks; the generator's text is compared with whitespace collapsed. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface ZipEntryContent {
  name: string;
  bytes: Buffer;
  compressionMethod: number;
  lastModified: Date;
}

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every entry of a zip, read with yauzl (which checks each entry's CRC and sizes as it inflates). */
export function readZip(bytes: Uint8Array): Promise<ZipEntryContent[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes), { lazyEntries: true }, (openError, zip) => {
      if (openError) return reject(openError);
      const entries: ZipEntryContent[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          readStream(stream).then((content) => {
            entries.push({
              name: entry.fileName,
              bytes: content,
              compressionMethod: entry.compressionMethod,
              lastModified: entry.getLastModDate(),
            });
            zip.readEntry();
          }, reject);
        });
      });
      zip.readEntry();
    });
  });
}
