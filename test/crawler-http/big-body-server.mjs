// Serves one large body from its own process, so the test process's memory shows only the client.
// argv: total bytes. Prints "PORT <n>" when listening and "SHA <hex>" after each body sent.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const MiB = 1024 * 1024;
const total = Number(process.argv[2]);
const block = randomBytes(MiB);

const server = createServer(async (req, res) => {
  if (req.url === '/robots.txt') return void res.writeHead(404).end();
  const hash = createHash('sha256');
  res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': total });
  for (let sent = 0, round = 0; sent < total; round++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(MiB, total - sent)));
    chunk[0] = round & 0xff;
    hash.update(chunk);
    sent += chunk.length;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
  process.stdout.write(`SHA ${hash.digest('hex')}\n`);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
