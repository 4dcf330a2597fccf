import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection that has also freed the dead buffers' memory when it returns, for tests that
 * measure what a stream keeps alive. V8 frees buffer memory on a background thread by default, so a sample
 * taken right after `gc()` could count up to 31 MB of already-dead chunks on a loaded machine.
 */
export function exposeGarbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  return runInNewContext('gc') as () => void;
}
