import { randomUUID } from 'node:crypto';
import { createLogger } from '@shop/logging';
import { QueueName, startQueueWork, UnrecoverableError } from '@shop/queues';
import { startMetricsServer } from '@shop/subgraph-kit';
import {
  createTestDatabase,
  deleteKeys,
  queryDatabase,
  TEST_REDIS_URL,
  testKeyPrefix,
  waitFor,
  type TestDatabase,
} from '@shop/test-harness';
import { createOrdersDatabase } from '../src/store/prisma';

// The gauges an operator reads at 3 a.m.: the orders queue's jobs by state and the outbox's
// backlog, read from the real Redis and PostgreSQL when /metrics is scraped.
const log = createLogger('queue-metrics-test', 'silent');
const prefix = testKeyPrefix('queue-metrics').replace(/:$/, '');
let db: TestDatabase;
let database: ReturnType<typeof createOrdersDatabase>;
let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
let work: { stop: () => Promise<void> } | null = null;
let release: () => void = () => undefined;

beforeAll(async () => {
  db = await createTestDatabase('orders');
  database = createOrdersDatabase(db.url, 4, 5000);
  metrics = await startMetricsServer(0, log, '127.0.0.1');
}, 120_000);
afterAll(async () => {
  release();
  await work?.stop();
  await metrics?.stop();
  await database?.close();
  await db?.drop();
  await deleteKeys(`${prefix}:`);
});

/** The value of one series in a scrape, or undefined when it is absent. */
async function scrape(): Promise<
  (name: string, labels?: Record<string, string>) => number | undefined
> {
  const response = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
  expect(response.status).toBe(200);
  const lines = (await response.text()).split('\n');
  return (name, labels = {}) => {
    const line = lines.find(
      (l) =>
        (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
}

async function addOutboxRow(ageSeconds: number, published = false): Promise<void> {
  await queryDatabase(
    db.url,
    `INSERT INTO outbox (id, topic, payload, created_at, published_at)
     VALUES ($1, 'order.placed', $2, now() - make_interval(secs => $3), $4)`,
    [randomUUID(), { orderId: randomUUID() }, ageSeconds, published ? new Date() : null],
  );
}

describe('queue and outbox gauges', () => {
  it('report nothing before the queue work starts, then the outbox backlog and its oldest row', async () => {
    let read = await scrape();
    expect(read('shop_outbox_unpublished_rows')).toBeUndefined();

    // The relay is off so the rows stay unpublished, as when Redis is down.
    work = startQueueWork(
      {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        OUTBOX_RELAY_ENABLED: false,
        METRICS_ENABLED: true,
      },
      database.prisma,
      log,
    );
    read = await scrape();
    expect(read('shop_outbox_unpublished_rows')).toBe(0);
    expect(read('shop_outbox_oldest_unpublished_age_seconds')).toBe(0);

    await addOutboxRow(90);
    await addOutboxRow(5);
    await addOutboxRow(3600, true); // published long ago: not backlog
    read = await scrape();
    expect(read('shop_outbox_unpublished_rows')).toBe(2);
    const age = read('shop_outbox_oldest_unpublished_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(3600);
    await work.stop();
    work = null;
  });

  it('count the jobs of the queues this process consumes: waiting, active, failed, delayed', async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    work = startQueueWork(
      {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        OUTBOX_RELAY_ENABLED: false,
        METRICS_ENABLED: true,
      },
      null,
      log,
      (queues) => {
        queues.worker(
          QueueName.ORDERS,
          async (job) => {
            if (job.name === 'fails') throw new UnrecoverableError('refused for the test');
            started = true;
            await held; // stays active; with concurrency 1 the next job waits
          },
          { concurrency: 1 },
        );
        void (async () => {
          const queue = queues.queue(QueueName.ORDERS);
          await queue.add('fails', {}, { attempts: 1 });
          await queue.add('holds', {});
          await queue.add('waits', {});
          await queue.add('later', {}, { delay: 600_000 });
        })();
      },
    );
    await waitFor(() => started, { what: 'the held job to start' });
    const expected = { waiting: 1, active: 1, failed: 1, delayed: 1 };
    let counts: Record<string, number | undefined> = {};
    await waitFor(
      async () => {
        const read = await scrape();
        counts = Object.fromEntries(
          Object.keys(expected).map((state) => [
            state,
            read('shop_queue_jobs', { queue: 'orders', state }),
          ]),
        );
        return JSON.stringify(counts) === JSON.stringify(expected);
      },
      { what: 'the queue gauges' },
    );
    expect(counts).toEqual(expected);
    // Only the queues it consumes: no series for delivery's or notifications'.
    expect((await scrape())('shop_queue_jobs', { queue: 'delivery' })).toBeUndefined();
  });

  it('leave a store that does not answer out of the scrape instead of failing it', async () => {
    const unreachable = createOrdersDatabase('postgres://postgres@127.0.0.1:1/none', 1, 500);
    const broken = startQueueWork(
      {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `${prefix}-b`,
        OUTBOX_RELAY_ENABLED: false,
        METRICS_ENABLED: true,
      },
      unreachable.prisma,
      log,
    );
    try {
      const read = await scrape();
      // The other sources still answer: the orders queue of the previous test.
      expect(read('shop_queue_jobs', { queue: 'orders', state: 'active' })).toBe(1);
      // Counted while that scrape was collected: it shows in the next one.
      const next = await scrape();
      expect(
        next('shop_metrics_source_failures_total', { metric: 'shop_outbox_unpublished_rows' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await broken.stop();
      await unreachable.close();
    }
  });
});
