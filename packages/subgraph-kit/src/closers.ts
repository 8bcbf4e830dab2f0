import type { Logger } from '@shop/logging';

/**
 * Above Apollo's 10 s HTTP drain (ApolloServerPluginDrainHttpServer), so a drain is never cut
 * short by it, and below Kubernetes' 30 s termination grace period, so one close that hangs
 * still leaves time for the others.
 */
const DEFAULT_CLOSE_TIMEOUT_MS = 15_000;

interface Closer {
  name: string;
  close: () => unknown;
}

/**
 * What a process has opened (stores, clients, HTTP servers, background work), each added
 * right after it is opened, closed in reverse order: what was opened last, and may still use
 * what came before it, goes first. The same stack serves a normal stop and a start-up that
 * fails part-way, so nothing a failed start opened is left behind (a restarting process would
 * pile up connections).
 */
export class Closers {
  private readonly stack: Closer[] = [];
  private readonly timeoutMs: number;

  constructor(
    private readonly logger: Logger,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  /** `close` runs when the process stops, before everything added earlier. */
  add(name: string, close: () => unknown): void {
    this.stack.push({ name, close });
  }

  /**
   * Runs a start-up that adds what it opens: when it throws, everything added so far is
   * closed, then its error is rethrown (failures while closing are only logged).
   */
  async closeOnFailure<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Closes everything, last added first. A close that fails or exceeds its time is logged and
   * the next one still runs; the failures are thrown together at the end. Closing twice
   * closes nothing twice.
   */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (let closer = this.stack.pop(); closer; closer = this.stack.pop()) {
      try {
        await this.bounded(closer);
      } catch (err) {
        this.logger.error({ err, resource: closer.name }, `closing ${closer.name} failed`);
        failures.push(err);
      }
    }
    if (failures.length) {
      throw new AggregateError(failures, `${failures.length} resource(s) did not close cleanly`);
    }
  }

  private async bounded(closer: Closer): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${closer.name} did not close within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      // A pending bound must not keep a process alive that has nothing else left to do.
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(closer.close), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
