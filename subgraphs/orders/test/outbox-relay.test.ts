import { createLogger } from '@shop/logging';
import { jobId, JobName, OutboxRelay, QueueName, Queues } from '@shop/queues';
import { createOrdersDatabase, type PrismaClient } from '../src/store/prisma';
import { outboxOf, pay, placeOrder } from './support/orders';
import { startOrdersStack, type OrdersStack } from './support/stack';

// The stack's own relay is off: these tests run relays by hand, one batch at a time.
let stack: OrdersStack;
let database: ReturnType<typeof createOrdersDatabase>;
let prisma: PrismaClient;
let queues: Queues;
const log = createLogger('outbox-relay-test', 'silent');

beforeAll(async () => {
  stack = await startOrdersStack();
  database = createOrdersDatabase(
    stack.db.url,
    10,
    stack.config.ORDERS_DATABASE_CONNECT_TIMEOUT_MS,
  );
  prisma = database.prisma;
  queues = new Queues({ redisUrl: stack.config.REDIS_URL, prefix: stack.config.QUEUE_PREFIX });
}, 120_000);
afterAll(async () => {
  await queues?.close();
  await database?.close();
  await stack?.stop();
});

const relay = (options: Partial<ConstructorParameters<typeof OutboxRelay>[3]> = {}) =>
  new OutboxRelay(prisma, queues, log, { intervalMs: 50, ...options });

/** The jobs of a queue that carry this order (BullMQ keeps completed/waiting ones alike). */
async function jobsFor(queue: QueueName, orderId: string) {
  const jobs = await queues.queue(queue).getJobs(['waiting', 'delayed', 'active', 'completed']);
  return jobs.filter((j) => (j.data as { orderId?: string }).orderId === orderId);
}

async function paidOrder() {
  const placed = await placeOrder(stack);
  await pay(stack, placed);
  const [row] = await outboxOf(stack, placed.orderId, 'order.paid');
  return { ...placed, outboxId: row!.id };
}

async function unpublished(): Promise<number> {
  const [row] = await stack.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
  );
  return row!.n;
}

describe('outbox relay', () => {
  it('publishes order.paid from the webhook as exactly one job in delivery and one in notifications', async () => {
    const order = await paidOrder();
    expect(await relay().publishBatch()).toBeGreaterThanOrEqual(2); // order.expire + order.paid
    expect(await relay().publishBatch()).toBe(0);

    for (const queue of [QueueName.DELIVERY, QueueName.NOTIFICATIONS]) {
      const jobs = await jobsFor(queue, order.orderId);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({
        id: jobId(JobName.ORDER_PAID, order.outboxId),
        name: 'order.paid',
        data: {
          orderId: order.orderId,
          userId: order.customer.userId,
          total: 3000,
          currency: 'EUR',
        },
        opts: { attempts: 8, backoff: { type: 'exponential', delay: 1000 } },
      });
    }
    // The payment timeout was published too: delayed, keyed by the order.
    const [expiry] = await jobsFor(QueueName.ORDERS, order.orderId);
    expect(expiry!.id).toBe(jobId(JobName.ORDER_EXPIRE, order.orderId));
    expect(await expiry!.getState()).toBe('delayed');
    expect((await outboxOf(stack, order.orderId, 'order.paid'))[0]!.published_at).not.toBeNull();
  });

  it('two relays running at once publish each row once, and still one job per queue', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, () => paidOrder()));
    const pending = await unpublished();
    expect(pending).toBeGreaterThanOrEqual(12);

    const claimed: string[][] = [[], []];
    const relays = [0, 1].map((i) =>
      relay({
        batchSize: 3,
        beforeMark: async (ids) => {
          claimed[i]!.push(...ids);
          // Hold the claim a moment so that the other relay runs into the locked rows.
          await new Promise((r) => setTimeout(r, 20));
        },
      }),
    );
    const drain = async (r: OutboxRelay) => {
      while ((await r.publishBatch()) > 0);
    };
    await Promise.all(relays.map(drain));

    expect(await unpublished()).toBe(0);
    const all = [...claimed[0]!, ...claimed[1]!];
    expect(new Set(all).size).toBe(all.length); // no row published by both
    expect(all).toHaveLength(pending);
    expect(claimed[0]!.length).toBeGreaterThan(0);
    expect(claimed[1]!.length).toBeGreaterThan(0);
    for (const order of orders) {
      expect(await jobsFor(QueueName.DELIVERY, order.orderId)).toHaveLength(1);
      expect(await jobsFor(QueueName.NOTIFICATIONS, order.orderId)).toHaveLength(1);
    }
  });

  it('a relay that dies after adding the jobs but before marking the rows duplicates nothing when re-run', async () => {
    const order = await paidOrder();
    const crashing = relay({
      beforeMark: () => Promise.reject(new Error('killed between add and mark')),
    });
    await expect(crashing.publishBatch()).rejects.toThrow('killed between add and mark');
    // The jobs are in Redis, the rows still unpublished (the transaction rolled back).
    expect(await jobsFor(QueueName.DELIVERY, order.orderId)).toHaveLength(1);
    expect((await outboxOf(stack, order.orderId, 'order.paid'))[0]!.published_at).toBeNull();

    expect(await relay().publishBatch()).toBeGreaterThanOrEqual(2);
    expect((await outboxOf(stack, order.orderId, 'order.paid'))[0]!.published_at).not.toBeNull();
    expect(await jobsFor(QueueName.DELIVERY, order.orderId)).toHaveLength(1);
    expect(await jobsFor(QueueName.NOTIFICATIONS, order.orderId)).toHaveLength(1);
    // Checkout's two: the stock claim and the payment timeout, once each.
    const ordersJobs = await jobsFor(QueueName.ORDERS, order.orderId);
    expect(ordersJobs.map((j) => j.name).sort()).toEqual(['order.expire', 'order.placed']);
  });

  it('leaves a row it cannot publish for later, without holding up the others', async () => {
    await stack.sql(
      `INSERT INTO outbox (id, topic, payload) VALUES (gen_random_uuid(), 'order.paid', '{"orderId":"x"}')`,
    );
    const order = await paidOrder();
    await relay().publishBatch();
    expect(await jobsFor(QueueName.DELIVERY, order.orderId)).toHaveLength(1);
    expect(await unpublished()).toBe(1);
    await stack.sql(`DELETE FROM outbox WHERE published_at IS NULL`);
  });
});
