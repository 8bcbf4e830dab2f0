import { ServiceUnavailableError } from '@shop/errors';

/**
 * Refused before anything was written: too many events are already waiting, or this one
 * waited longer than the queue allows. The same event can be sent again (`retryAfterSeconds`).
 */
export class WritesOverloadedError extends ServiceUnavailableError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'Too many tracking events are being recorded right now. Nothing was changed; send this ' +
        `one again in ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
    );
  }
}

export interface WriteQueueOptions {
  /** Writes running at once: each holds one database connection while it runs. */
  concurrency: number;
  /** Admitted writes that may wait beyond those running; more are refused at once. */
  queueLimit: number;
  /** Longest an admitted write may wait for its turn; past it, it is refused unwritten. */
  maxWaitMs: number;
  /** What refusals tell the caller to wait before sending again. */
  retryAfterSeconds: number;
}

/**
 * The admission of tracking events: at most `concurrency` write at once (so a burst never
 * waits inside the connection pool, where the wait is neither bounded nor visible), a
 * bounded number wait their turn, and the rest are refused with a retryable error instead
 * of timing out half way. Writes with the same key (one shipment) run one after the other,
 * each with what follows its commit (publishing it): a shipment's events reach subscribers
 * in the order they were applied, and they never queue on the shipment's row lock while
 * holding connections other shipments could use.
 */
export class WriteQueue {
  private running = 0;
  private admitted = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WriteQueueOptions) {}

  /**
   * Runs `write` when its turn comes (after the key's earlier writes, with a free slot),
   * then `after` with its result once the slot is free again; resolves with the result
   * once both are done. Throws WritesOverloadedError, having run nothing, when full.
   */
  async run<T>(
    key: string,
    write: () => Promise<T>,
    after: (result: T) => Promise<void>,
  ): Promise<T> {
    const { concurrency, queueLimit, maxWaitMs } = this.options;
    if (this.admitted >= concurrency + queueLimit) {
      throw this.refusal();
    }
    this.admitted++;
    const admittedAt = Date.now();
    const previous = this.lanes.get(key);
    const turn = (async () => {
      if (previous) await previous.catch(() => undefined);
      await this.slot();
      let result: T;
      try {
        if (Date.now() - admittedAt > maxWaitMs) throw this.refusal();
        result = await write();
      } finally {
        this.release();
      }
      await after(result);
      return result;
    })();
    this.lanes.set(key, turn);
    try {
      return await turn;
    } finally {
      this.admitted--;
      if (this.lanes.get(key) === turn) this.lanes.delete(key);
    }
  }

  /** The refusal of this queue, for a write that could not be done now for want of capacity. */
  refusal(): WritesOverloadedError {
    return new WritesOverloadedError(this.options.retryAfterSeconds);
  }

  /** Writes admitted and not finished (running, waiting, publishing). */
  get size(): number {
    return this.admitted;
  }

  private slot(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    // The slot is handed over by release(), so `running` stays counted for the waiter.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
