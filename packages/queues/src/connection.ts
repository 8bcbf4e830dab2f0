import { Queue, Worker, type DefaultJobOptions, type Job, type WorkerOptions } from 'bullmq';
import IORedis, { type RedisOptions } from 'ioredis';
import { queueTelemetry } from '@shop/telemetry';
import type { QueueName } from './jobs';

/**
 * Defaults for every job: retried with exponential backoff (1 s, 2 s, 4 s, ... about 4 min
 * in all), then kept in the failed set where an operator can see and retry it. Completed jobs
 * are kept a day, which is also how long a duplicate job id is recognised and ignored.
 */
export const defaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
} as const satisfies DefaultJobOptions;

export interface QueuesOptions {
  /** redis://[user:password@]host:port[/db] */
  redisUrl: string;
  /**
   * BullMQ key prefix (`<prefix>:<queue>:...`). Every producer and worker of one deployment
   * must agree on it; tests use a random one each so that they never see each other's jobs.
   */
  prefix: string;
}

export type Processor<T = unknown> = (job: Job<T>) => Promise<unknown>;

/**
 * The queues and workers of one process over two Redis connections: one shared by every
 * producer (fails fast, so a request that enqueues does not hang when Redis is down) and one
 * per worker, with `maxRetriesPerRequest: null` as BullMQ requires for its blocking calls.
 */
export class Queues {
  private readonly producer: IORedis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(readonly options: QueuesOptions) {
    this.producer = new IORedis(options.redisUrl, { maxRetriesPerRequest: 3 });
  }

  /** The queue to add jobs to (one instance per name). */
  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.producer,
        prefix: this.options.prefix,
        defaultJobOptions,
        // With tracing on, each job stores the trace context it was added in (docs/tracing.md).
        telemetry: queueTelemetry(),
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Starts consuming a queue; closed (after its running jobs finish) by close(). */
  worker<T>(
    name: QueueName,
    processor: Processor<T>,
    options: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
  ): Worker<T> {
    const worker = new Worker<T>(name, processor, {
      ...options,
      connection: new IORedis(this.options.redisUrl, workerRedisOptions),
      prefix: this.options.prefix,
      // With tracing on, a job runs in the trace of the request that caused it.
      telemetry: queueTelemetry(),
    });
    this.workers.push(worker as Worker);
    return worker;
  }

  /** The queues this process consumes: those it started a worker for (metrics.ts). */
  consumed(): QueueName[] {
    return [...new Set(this.workers.map((worker) => worker.name as QueueName))];
  }

  /**
   * Graceful shutdown: workers stop taking jobs and wait for the running ones, then the
   * queues and connections close.
   */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.workers.map((w) => Promise.resolve(w.opts.connection).then(disconnect)));
    this.producer.disconnect();
  }
}

const workerRedisOptions: RedisOptions = { maxRetriesPerRequest: null };

function disconnect(connection: unknown): void {
  if (connection instanceof IORedis) connection.disconnect();
}
