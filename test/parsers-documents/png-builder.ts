// Builds greyscale PNGs row by row, so tests can make pictures far larger in pixels than in bytes.
import { Zlib } from 'fflate';
import { crc32 } from 'node:zlib';

/** A greyscale PNG whose rows come from `row` (white when not given), deflated a row at a time. */
export function greyPng(width: number, height: number, row: (y: number) => Uint8Array = () => new Uint8Array(width).fill(0xff)): Buffer {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const frame = Buffer.alloc(body.length + 8);
    frame.writeUInt32BE(data.length, 0);
    body.copy(frame, 4);
    frame.writeUInt32BE(crc32(body), body.length + 4);
    return frame;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const compressed: Uint8Array[] = [];
  const deflate = new Zlib({ level: 1 });
  deflate.ondata = (data) => compressed.push(data);
  const line = new Uint8Array(width + 1);
  for (let y = 0; y < height; y++) {
    line.set(row(y), 1);
    deflate.push(line, y === height - 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', Buffer.concat(compressed)), chunk('IEND', new Uint8Array())]);
}
