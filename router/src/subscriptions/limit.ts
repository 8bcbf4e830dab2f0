/**
 * Runs at most `limit` tasks at once; the others wait their turn, first come first served.
 * (The router has no limiter library among its dependencies, and this is all it needs.)
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Index of the next waiter: shifting a 10,000-long array for each would be quadratic. */
  private head = 0;

  constructor(readonly limit: number) {}

  /** Tasks started and not yet finished. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a turn. */
  get pending(): number {
    return this.waiting.length - this.head;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // The finishing task hands its turn over without decrementing, so none can jump the queue.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head] as () => void;
      this.head++;
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.head = 0;
      }
      next();
    } else {
      this.running--;
    }
  }
}
