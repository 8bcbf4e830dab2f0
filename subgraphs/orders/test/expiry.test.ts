import { jobId, JobName, QueueName, Queues } from '@shop/queues';
import { waitFor } from '@shop/test-harness';
import { CANCEL_ORDER } from './support/operations';
import { outboxOf, pay, placeOrder, statusOf } from './support/orders';
import { startOrdersStack, type OrdersStack } from './support/stack';

// The service as deployed: its own relay publishes the outbox, its own worker expires orders.
// Unpaid orders expire 1.5 s after checkout, long enough to pay one in between.
const TIMEOUT_MS = 1500;
let stack: OrdersStack;
let queues: Queues;
beforeAll(async () => {
  stack = await startOrdersStack({
    OUTBOX_RELAY_ENABLED: 'true',
    OUTBOX_POLL_INTERVAL_MS: '50',
    ORDER_PAYMENT_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  queues = new Queues({ redisUrl: stack.config.REDIS_URL, prefix: stack.config.QUEUE_PREFIX });
}, 120_000);
afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

/** Resolves with the expiry job's result once the worker has run it. */
async function expiryDone(orderId: string): Promise<unknown> {
  const id = jobId(JobName.ORDER_EXPIRE, orderId);
  return waitFor(
    async () => {
      const queue = queues.queue(QueueName.ORDERS);
      // State first, then the job: a job read before it completed carries no return value.
      if ((await queue.getJobState(id)) !== 'completed') return false;
      return { result: (await queue.getJob(id))?.returnvalue };
    },
    { timeoutMs: 15_000, what: `job ${id} completed` },
  );
}

describe('payment timeout (order.expire)', () => {
  it('cancels an order left unpaid and gives its stock back', async () => {
    const placed = await placeOrder(stack);
    const placedAt = Date.now();
    expect(await stack.stockOf(placed.productId)).toBe(3);

    expect(await expiryDone(placed.orderId)).toEqual({ result: 'cancelled' });
    expect(Date.now() - placedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');
    expect(await stack.stockOf(placed.productId)).toBe(5);
    const [event] = await outboxOf(stack, placed.orderId, 'order.cancelled');
    expect(event!.payload).toMatchObject({ refunded: false, reason: 'payment-timeout' });
    // ...which the relay publishes to notifications.
    await waitFor(
      async () => {
        const jobs = await queues.queue(QueueName.NOTIFICATIONS).getJobs(['waiting']);
        return jobs.some((j) => j.name === 'order.cancelled' && j.data.orderId === placed.orderId);
      },
      { what: 'order.cancelled in notifications' },
    );
  }, 30_000);

  it('leaves an order paid in time alone; its order.paid reaches delivery and notifications once', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);

    expect(await expiryDone(placed.orderId)).toEqual({ result: 'untouched' });
    expect(await statusOf(stack, placed.orderId)).toBe('PAID');
    expect(await stack.stockOf(placed.productId)).toBe(3);
    const [paid] = await outboxOf(stack, placed.orderId, 'order.paid');
    for (const queue of [QueueName.DELIVERY, QueueName.NOTIFICATIONS]) {
      const jobs = await queues.queue(queue).getJobs(['waiting']);
      const mine = jobs.filter((j) => j.data.orderId === placed.orderId);
      expect(mine.map((j) => j.id)).toEqual([jobId(JobName.ORDER_PAID, paid!.id)]);
    }
  }, 30_000);

  it('after a customer cancel, only releases again (idempotent) and changes nothing else', async () => {
    const placed = await placeOrder(stack);
    await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    expect(await stack.stockOf(placed.productId)).toBe(5);

    expect(await expiryDone(placed.orderId)).toEqual({ result: 'released' });
    expect(await stack.stockOf(placed.productId)).toBe(5);
    const history = await stack.sql('SELECT 1 FROM order_status_history WHERE order_id = $1', [
      placed.orderId,
    ]);
    expect(history).toHaveLength(2);
  }, 30_000);
});
