import type { Logger } from '@shop/logging';
import { asTraceCarrier, TRACE_KEY, traceCarrier, withTraceCarrier } from '@shop/telemetry';
import type { Queues } from './connection';
import { isJobName, jobId, JobName, jobPayload, routes, type JobData } from './jobs';

/**
 * An outbox row's payload as written: the job's payload plus, when tracing is on, the trace
 * context of the request writing it under `_trace` (dropped again by the job's schema).
 */
export function outboxPayload<T extends object>(payload: T): T {
  const carrier = traceCarrier();
  return carrier ? { ...payload, [TRACE_KEY]: carrier } : payload;
}

/**
 * The `outbox` table every Postgres-owning service keeps in its own database, next to the
 * rows whose changes it announces (Prisma model `Outbox`):
 *   id uuid primary key, topic text, payload jsonb, created_at timestamptz,
 *   published_at timestamptz null, index (published_at, created_at).
 * A service writes a row in the same transaction as its change; the relay below publishes it.
 */
export interface OutboxRow {
  id: string;
  topic: string;
  payload: unknown;
  createdAt: Date;
}

/** The part of a Prisma transaction client the relay uses (raw SQL only, any schema). */
export interface OutboxTransaction {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}

/** The part of a PrismaClient the relay uses. */
export interface OutboxDatabase {
  $transaction<R>(
    fn: (tx: OutboxTransaction) => Promise<R>,
    options?: { timeout?: number },
  ): Promise<R>;
}

/**
 * Claims up to `limit` unpublished rows, oldest first, locking them until the caller's
 * transaction ends. SKIP LOCKED makes a second relay (another replica) take the next rows
 * instead of waiting for, and then re-publishing, the same ones.
 */
function claimUnpublished(tx: OutboxTransaction, limit: number): PromiseLike<OutboxRow[]> {
  return tx.$queryRaw<OutboxRow[]>`
    SELECT id::text AS id, topic, payload, created_at AS "createdAt"
      FROM outbox
     WHERE published_at IS NULL
     ORDER BY created_at, id
     LIMIT ${limit}
       FOR UPDATE SKIP LOCKED`;
}

async function markPublished(tx: OutboxTransaction, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.$executeRaw`UPDATE outbox SET published_at = now() WHERE id = ANY(${[...ids]}::uuid[])`;
}

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
    private readonly db: OutboxDatabase,
    private readonly queues: Queues,
    private readonly log: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
  }

  /** Publishes one batch; returns how many rows were published. */
  async publishBatch(): Promise<number> {
    return this.db.$transaction(
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
    const data = jobPayload(name, row.payload);
    const { key, delay } = schedule(name, data, row.id);
    // The jobs join the trace of the request that wrote the row (BullMQ's telemetry stores
    // it in each job), not the relay's poll, which belongs to no request.
    const carrier = asTraceCarrier((row.payload as Record<string, unknown> | null)?.[TRACE_KEY]);
    await withTraceCarrier(carrier, () =>
      Promise.all(
        routes[name].map((queue) =>
          this.queues.queue(queue).add(name, data, { jobId: jobId(name, key), delay }),
        ),
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
