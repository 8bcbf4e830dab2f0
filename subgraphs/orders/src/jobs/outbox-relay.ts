import type { Logger } from '@shop/logging';
import {
  isJobName,
  jobId,
  JobName,
  parseJobData,
  routes,
  type JobData,
  type Queues,
} from '@shop/queues';
import { claimUnpublished, markPublished, type OutboxRow } from '../store/outbox';
import type { PrismaClient } from '../store/prisma';

export interface OutboxRelayOptions {
  /** Pause after a poll that found less than a full batch. */
  intervalMs: number;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** Test hook: runs after the jobs were added and before the rows are marked published. */
  beforeMark?: (ids: readonly string[]) => Promise<void>;
}

/**
 * Publishes outbox rows to BullMQ. Each batch is one transaction: claim unpublished rows
 * (FOR UPDATE SKIP LOCKED, so replicas share the work instead of doubling it), add each row's
 * job to every queue of its route, mark the rows published, commit.
 *
 * A crash between the add and the commit leaves the rows unpublished, and the next run adds
 * them again under the same job ids (derived from the outbox row id, or the order id for
 * `order.expire`), which BullMQ ignores: at-least-once publishing, exactly-once jobs.
 */
export class OutboxRelay {
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly batchSize: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly queues: Queues,
    private readonly log: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
  }

  /** Publishes one batch; returns how many rows were published. */
  async publishBatch(): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await claimUnpublished(tx, this.batchSize);
        const published: string[] = [];
        for (const row of rows) {
          try {
            await this.publish(row);
            published.push(row.id);
          } catch (err) {
            // Left unpublished: retried on the next poll, without holding up the others.
            this.log.error({ err, outboxId: row.id, topic: row.topic }, 'outbox row not published');
          }
        }
        await this.options.beforeMark?.(published);
        await markPublished(tx, published);
        return published.length;
      },
      { timeout: 60_000 },
    );
  }

  private async publish(row: OutboxRow): Promise<void> {
    if (!isJobName(row.topic)) throw new Error(`unknown outbox topic ${row.topic}`);
    const name = row.topic;
    const data = parseJobData(name, row.payload);
    const { key, delay } = schedule(name, data, row.id);
    await Promise.all(
      routes[name].map((queue) =>
        this.queues.queue(queue).add(name, data, { jobId: jobId(name, key), delay }),
      ),
    );
  }

  /** Polls until stop(); a full batch is followed at once by the next one. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        let published = 0;
        try {
          published = await this.publishBatch();
        } catch (err) {
          this.log.error({ err }, 'outbox relay poll failed');
        }
        if (published < this.batchSize && !this.stopping) await this.pause();
      }
    })();
  }

  /** Lets the current batch finish, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.options.intervalMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

/**
 * The job id key and delay of a row. Most jobs are keyed by their outbox row; an expiry is
 * keyed by its order (one expiry per order, whatever wrote it) and delayed until it is due.
 */
function schedule<N extends JobName>(
  name: N,
  data: JobData<N>,
  outboxId: string,
): { key: string; delay: number } {
  if (name === JobName.ORDER_EXPIRE) {
    const expire = data as JobData<typeof JobName.ORDER_EXPIRE>;
    return { key: expire.orderId, delay: Math.max(0, Date.parse(expire.expiresAt) - Date.now()) };
  }
  return { key: outboxId, delay: 0 };
}
