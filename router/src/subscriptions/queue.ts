/**
 * Items pushed by a callback API (the upstream graphql-ws sink), pulled by an async
 * iterator (the client-facing graphql-ws server), in order. `end()` lets the reader drain
 * what is queued first; `close()` drops it and wakes a waiting reader at once.
 */
export class PushQueue<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T, undefined>) => void) | null = null;
  private ended = false;

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** No more items will come; the ones queued are still read. */
  end(): void {
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  /** Drops what is queued and ends the queue. */
  close(): void {
    this.items.length = 0;
    this.end();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}
