import { randomUUID } from 'node:crypto';
import { jobId, JobName, QueueName, Queues, type JobData } from '@shop/queues';
import { waitFor } from '@shop/test-harness';
import { pay, placeOrder, statusOf, type PlacedOrder } from './support/orders';
import { startOrdersStack, type OrdersStack } from './support/stack';

// Delivery reports shipment progress as `shipment.updated` jobs on the orders queue; the
// orders service's own worker moves the order along.
let stack: OrdersStack;
let queues: Queues;
beforeAll(async () => {
  stack = await startOrdersStack();
  queues = new Queues({ redisUrl: stack.config.REDIS_URL, prefix: stack.config.QUEUE_PREFIX });
}, 120_000);
afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

/** Adds a shipment.updated job as delivery's outbox relay would, and waits for its result. */
async function report(
  placed: PlacedOrder,
  status: JobData<typeof JobName.SHIPMENT_UPDATED>['status'],
): Promise<unknown> {
  const data: JobData<typeof JobName.SHIPMENT_UPDATED> = {
    shipmentId: randomUUID(),
    orderId: placed.orderId,
    userId: placed.customer.userId,
    status,
    carrier: 'ACME',
    trackingNumber: 'TRK1',
    at: new Date().toISOString(),
  };
  const id = jobId(JobName.SHIPMENT_UPDATED, randomUUID());
  const queue = queues.queue(QueueName.ORDERS);
  await queue.add(JobName.SHIPMENT_UPDATED, data, { jobId: id });
  return waitFor(
    async () => {
      const state = await queue.getJobState(id);
      if (state === 'failed') throw new Error((await queue.getJob(id))?.failedReason);
      return state === 'completed' && { result: (await queue.getJob(id))?.returnvalue };
    },
    { what: `job ${id} completed` },
  );
}

async function historyOf(orderId: string) {
  return stack.sql(
    'SELECT from_status, to_status, reason FROM order_status_history WHERE order_id = $1 ORDER BY created_at, to_status',
    [orderId],
  );
}

describe('orders follow their shipment (shipment.updated)', () => {
  it('a paid order becomes FULFILLING, SHIPPED, then DELIVERED, each step recorded', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);

    expect(await report(placed, 'LABEL_CREATED')).toEqual({ result: ['FULFILLING'] });
    expect(await statusOf(stack, placed.orderId)).toBe('FULFILLING');
    expect(await report(placed, 'PICKED_UP')).toEqual({ result: ['SHIPPED'] });
    // Later scans of a parcel already on its way change nothing.
    expect(await report(placed, 'IN_TRANSIT')).toEqual({ result: [] });
    expect(await report(placed, 'DELIVERED')).toEqual({ result: ['DELIVERED'] });
    expect(await statusOf(stack, placed.orderId)).toBe('DELIVERED');

    const history = await historyOf(placed.orderId);
    expect(history.slice(-3)).toEqual([
      { from_status: 'PAID', to_status: 'FULFILLING', reason: 'shipment:LABEL_CREATED' },
      { from_status: 'FULFILLING', to_status: 'SHIPPED', reason: 'shipment:PICKED_UP' },
      { from_status: 'SHIPPED', to_status: 'DELIVERED', reason: 'shipment:DELIVERED' },
    ]);
  }, 60_000);

  it('an update that skips ahead walks the order through every step', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    expect(await report(placed, 'OUT_FOR_DELIVERY')).toEqual({ result: ['FULFILLING', 'SHIPPED'] });
    // A late LABEL_CREATED (jobs are not ordered across retries) does not move it back.
    expect(await report(placed, 'LABEL_CREATED')).toEqual({ result: [] });
    expect(await statusOf(stack, placed.orderId)).toBe('SHIPPED');
  }, 60_000);

  it('leaves a cancelled order and an unknown order alone', async () => {
    const placed = await placeOrder(stack);
    await stack.call(
      'mutation($id: ID!) { cancelOrder(orderId: $id) { id } }',
      { id: placed.orderId },
      placed.customer.token,
    );
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');
    expect(await report(placed, 'DELIVERED')).toEqual({ result: [] });
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');

    const ghost = { ...placed, orderId: randomUUID() };
    expect(await report(ghost, 'DELIVERED')).toEqual({ result: [] });
  }, 60_000);

  it('fails a job with a bad payload at once, without retries', async () => {
    const queue = queues.queue(QueueName.ORDERS);
    const id = jobId(JobName.SHIPMENT_UPDATED, randomUUID());
    await queue.add(JobName.SHIPMENT_UPDATED, { orderId: 'nope' }, { jobId: id });
    await waitFor(async () => (await queue.getJobState(id)) === 'failed', { what: 'job failed' });
    const job = await queue.getJob(id);
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toMatch(/bad shipment.updated payload/);
  }, 30_000);
});
