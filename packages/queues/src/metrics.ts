import { scrapedGauge } from '@shop/metrics';
import type { Queues } from './connection';
import type { OutboxDatabase } from './outbox-relay';

/** The BullMQ states an operator watches: a growing backlog, stuck or failing work. */
const STATES = ['waiting', 'active', 'failed', 'delayed'] as const;

const queueJobs = scrapedGauge(
  'shop_queue_jobs',
  'BullMQ jobs of a queue in a state (waiting, active, failed, delayed), read from Redis on scrape by every process that consumes the queue: aggregate with max, not sum.',
  ['queue', 'state'],
);
const outboxBacklog = scrapedGauge(
  'shop_outbox_unpublished_rows',
  "Outbox rows not yet published to BullMQ, in this service's database (read on scrape).",
  [],
);
const outboxAge = scrapedGauge(
  'shop_outbox_oldest_unpublished_age_seconds',
  'Age of the oldest unpublished outbox row; 0 when every row is published. Growing: the relay is stuck or Redis is down.',
  [],
);

/**
 * Job counts of the queues whose workers `queues` runs, read from Redis with the process's
 * QUEUE_PREFIX when Prometheus scrapes. The returned function stops it.
 */
export function measureQueues(queues: Queues): () => void {
  return queueJobs.add(async () => {
    const samples = await Promise.all(
      queues.consumed().map(async (queue) => {
        const counts = await queues.queue(queue).getJobCounts(...STATES);
        return STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 }));
      }),
    );
    return samples.flat();
  });
}

/** The outbox's backlog and the age of its oldest unpublished row, read on scrape. */
export function measureOutbox(db: OutboxDatabase): () => void {
  // One read for both gauges of a scrape: the two collect calls of one scrape share it.
  let pending: Promise<{ rows: number; ageSeconds: number }> | null = null;
  const read = () => {
    pending ??= db
      .$transaction(async (tx) => {
        // Both from the (published_at, created_at) index.
        const [row] = await tx.$queryRaw<{ rows: bigint; age: number | null }[]>`
          SELECT count(*) AS rows,
                 extract(epoch FROM now() - min(created_at))::float8 AS age
            FROM outbox
           WHERE published_at IS NULL`;
        return { rows: Number(row?.rows ?? 0), ageSeconds: Math.max(0, row?.age ?? 0) };
      })
      .finally(() => setImmediate(() => (pending = null)));
    return pending;
  };
  const removers = [
    outboxBacklog.add(async () => [{ labels: {}, value: (await read()).rows }]),
    outboxAge.add(async () => [{ labels: {}, value: (await read()).ageSeconds }]),
  ];
  return () => removers.forEach((remove) => remove());
}
