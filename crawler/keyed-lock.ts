/**
 * One task at a time per key, in the order they asked; tasks under different keys run side by side.
 * The crawler keys its threads by remote id, so two frontier rows that reach the same thread (a rename, a
 * thread listed twice, its masked attachments coming due) never read and write it at the same time.
 */
export class KeyedLock {
  readonly #tails = new Map<string | number, Promise<void>>();

  async run<T>(key: string | number, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
