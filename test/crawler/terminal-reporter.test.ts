import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCrawlReporter } from '../../crawler/index.js';

/** What a terminal would be shown: everything written, in order. */
function fakeTerminal(): { terminal: NodeJS.WriteStream; shown: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(stream, { isTTY: true, columns: 120, hasColors: () => false, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { terminal: stream as unknown as NodeJS.WriteStream, shown: () => chunks.join('') };
}

describe('the crawl reporter on a terminal', () => {
  it('writes warnings as lines a person reads, above the progress bar, and leaves info to the JSON logs', async () => {
    const { terminal, shown } = fakeTerminal();
    const reporter = await createCrawlReporter({ tty: true, terminal });
    reporter.onProgress({ counters: { requests: 1, newRequests: 0, changedRequests: 0, attachments: 0, errors: 0 }, pending: 3, done: 1 } as never);
    reporter.log.info('a run started');
    reporter.log.warn({ url: 'http://127.0.0.1:1/request/a', err: 'socket hang up' }, 'will try this item again later in the run');
    reporter.stop();
    await new Promise((resolve) => setImmediate(resolve));

    const text = shown();
    expect(text).not.toContain('a run started');
    expect(text).not.toContain('"level"');
    // The bar's line is cleared first, so the warning does not run on from it.
    expect(text).toMatch(
      /\r\x1b\[2K\[\d\d:\d\d:\d\d\] WARN: will try this item again later in the run \{"url":"http:\/\/127\.0\.0\.1:1\/request\/a"\}\n {4}err: "socket hang up"\n/,
    );
  });

  it('writes JSON lines, info included, where there is no terminal', async () => {
    const reporter = await createCrawlReporter({ tty: false });
    expect(reporter.log.level).toBe('info');
  });
});
