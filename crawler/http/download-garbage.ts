import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes of a streamed body between two collections of V8's young generation. */
const COLLECT_EVERY_BYTES = 1024 * 1024;

let collectYoung: (() => void) | undefined;

/**
 * A byte counter for a long download that collects V8's young generation once per MiB received. Each read from the
 * socket is a new 64 KiB buffer outside V8's heap, freed only when a collection finds it dead. A download makes them
 * far faster than it fills the young generation, so collections are rare, and the allocator keeps the pages the dead
 * buffers held: a 200 MB attachment left an embedded crawl's process about 30 MiB larger for the rest of its life. One
 * young-generation collection per MiB (about 0.25 ms each here) frees them as the download goes
 * (bench/README.md, part 23).
 */
export function collectingEveryMiB(): (bytes: number) => void {
  collectYoung ??= exposeYoungCollection();
  const collect = collectYoung;
  let sinceLast = 0;
  return (bytes) => {
    sinceLast += bytes;
    if (sinceLast < COLLECT_EVERY_BYTES) return;
    sinceLast = 0;
    collect();
  };
}

function exposeYoungCollection(): () => void {
  // V8 gives `gc` to contexts made after the flag is set; a new context hands it over without a global here.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  return () => gc({ type: 'minor' });
}
