import { createLogger } from '@shop/logging';
import { JobName, OutboxRelay, QueueName } from '@shop/queues';
import { fixtureForFile, waitFor } from '@shop/test-harness';
import { createPrisma } from '../src/store/prisma';
import { SHIPPING_ADDRESS } from './support/fake-orders';
import { SHIPMENT } from './support/operations';
import { startDeliveryStack } from './support/stack';

// The stack's relay stays off here so the outbox rows can be read as written.
const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));

const callsFor = (orderId: string) =>
  stack.carrier.calls.filter((c) => c.body.reference === orderId);
const shipmentsOf = (orderId: string) =>
  stack.sql<{
    id: string;
    status: string;
    user_id: string;
    carrier: string | null;
    tracking_number: string | null;
  }>('SELECT id, status, user_id, carrier, tracking_number FROM shipments WHERE order_id = $1', [
    orderId,
  ]);
const outboxOf = (shipmentId: string) =>
  stack.sql<{ topic: string; payload: any }>(
    `SELECT topic, payload FROM outbox WHERE payload->>'shipmentId' = $1 ORDER BY created_at`,
    [shipmentId],
  );

describe('order.paid → shipment and label', () => {
  it('creates the shipment and buys its label once, even when the job is delivered twice', async () => {
    const order = stack.paidOrder();
    const first = await stack.waitForJob(await stack.addPaidJob(order));
    const second = await stack.waitForJob(await stack.addPaidJob(order));

    expect(first).toMatchObject({
      state: 'completed',
      result: { status: 'LABEL_CREATED', labelBought: true },
    });
    expect(second).toMatchObject({
      state: 'completed',
      result: { status: 'LABEL_CREATED', labelBought: false },
    });
    const shipments = await shipmentsOf(order.orderId);
    expect(shipments).toEqual([
      {
        id: first.result.shipmentId,
        status: 'LABEL_CREATED',
        user_id: order.customer.userId,
        carrier: 'ACME Parcel',
        tracking_number: first.result.trackingNumber,
      },
    ]);
    const calls = callsFor(order.orderId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      authorization: `Bearer ${stack.carrier.apiKey}`,
      idempotencyKey: shipments[0]!.id,
      body: { reference: order.orderId, shipmentId: shipments[0]!.id, recipient: SHIPPING_ADDRESS },
      status: 201,
    });

    // The customer sees it, with its first event.
    const read = await stack.call(SHIPMENT, { id: shipments[0]!.id }, order.customer.token);
    expect(read.data?.shipment).toMatchObject({
      status: 'LABEL_CREATED',
      trackingNumber: first.result.trackingNumber,
      order: { __typename: 'Order', id: order.orderId },
      events: [{ status: 'LABEL_CREATED', location: null, note: null }],
    });
  });

  it('the same order paid twice at once still gets one shipment and one label', async () => {
    const order = stack.paidOrder();
    const ids = await Promise.all([stack.addPaidJob(order), stack.addPaidJob(order)]);
    const results = await Promise.all(ids.map((id) => stack.waitForJob(id)));
    expect(results.map((r) => r.state)).toEqual(['completed', 'completed']);
    expect(await shipmentsOf(order.orderId)).toHaveLength(1);
    // Both may ask the carrier, but with one Idempotency-Key: one label.
    expect(new Set(callsFor(order.orderId).map((c) => c.idempotencyKey)).size).toBe(1);
    expect(new Set(results.map((r) => r.result.trackingNumber)).size).toBe(1);
  });

  it('writes a shipment.updated outbox row with the label in the same transaction', async () => {
    const order = await stack.labelledOrder();
    const rows = await outboxOf(order.shipmentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.topic).toBe(JobName.SHIPMENT_UPDATED);
    expect(rows[0]!.payload).toEqual({
      shipmentId: order.shipmentId,
      orderId: order.orderId,
      userId: order.customer.userId,
      status: 'LABEL_CREATED',
      carrier: 'ACME Parcel',
      trackingNumber: order.trackingNumber,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('buys no label for an order cancelled before its label (the shipment is CANCELLED)', async () => {
    const order = stack.paidOrder('CANCELLED');
    const done = await stack.waitForJob(await stack.addPaidJob(order));
    expect(done).toMatchObject({
      state: 'completed',
      result: { status: 'CANCELLED', labelBought: false, skipped: 'order is CANCELLED' },
    });
    expect(callsFor(order.orderId)).toHaveLength(0);
    const [shipment] = await shipmentsOf(order.orderId);
    expect(shipment).toMatchObject({ status: 'CANCELLED', tracking_number: null });
    // Orders and the customer already know the order is cancelled: nothing is announced.
    expect(await outboxOf(shipment!.id)).toEqual([]);
  });

  it('retries a carrier answering 5xx with backoff, then gets the label', async () => {
    stack.carrier.failNext(2, 503);
    const order = stack.paidOrder();
    const finished = await stack.waitForJob(await stack.addPaidJob(order));
    expect(finished).toMatchObject({
      state: 'completed',
      attemptsMade: 3,
      result: { status: 'LABEL_CREATED' },
    });
    expect(callsFor(order.orderId).map((c) => c.status)).toEqual([503, 503, 201]);
    expect((await shipmentsOf(order.orderId))[0]!.status).toBe('LABEL_CREATED');
  });

  it('stores no label whose fields hold control characters or overrides; asks again', async () => {
    for (const garbled of [
      { trackingNumber: 'ACME\u001b[2J123' },
      { carrier: 'ACME \u202EleoJ' },
      { labelUrl: 'https://labels.acme.example/x\u0000.pdf' },
    ]) {
      stack.carrier.garbleNext = garbled;
      const order = stack.paidOrder();
      const finished = await stack.waitForJob(await stack.addPaidJob(order));
      expect(finished).toMatchObject({ state: 'completed', attemptsMade: 2 });
      const [shipment] = await shipmentsOf(order.orderId);
      expect(shipment).toMatchObject({ status: 'LABEL_CREATED', carrier: 'ACME Parcel' });
      expect(shipment!.tracking_number).toMatch(/^ACME[0-9A-F]{12}$/);
    }
  });

  it('fails at once, without retrying, when the carrier refuses the request (4xx)', async () => {
    stack.carrier.failNext(1, 422);
    const order = stack.paidOrder();
    const finished = await stack.waitForJob(await stack.addPaidJob(order));
    expect(finished.state).toBe('failed');
    expect(finished.attemptsMade).toBe(1);
    expect(finished.failedReason).toMatch(/carrier refused the label request \(HTTP 422\)/);
    expect(callsFor(order.orderId)).toHaveLength(1);
    const [shipment] = await shipmentsOf(order.orderId);
    expect(shipment).toMatchObject({ status: 'PENDING', tracking_number: null });
    expect(await outboxOf(shipment!.id)).toEqual([]);
  });

  it('fails a job whose payload is not an order.paid without retrying', async () => {
    const id = 'order.paid__bad-payload';
    await stack.queues
      .queue(QueueName.DELIVERY)
      .add(JobName.ORDER_PAID, { orderId: 'x' }, { jobId: id });
    const finished = await stack.waitForJob(id);
    expect(finished).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(finished.failedReason).toMatch(/bad order.paid payload/);
  });

  it('publishes shipment.updated to the orders and notifications queues through the relay', async () => {
    const order = await stack.labelledOrder();
    // This stack's relay is off: run one batch by hand, as a replica's relay would.
    const prisma = createPrisma(stack.fixture.db.url, 2);
    try {
      const relay = new OutboxRelay(prisma, stack.queues, createLogger('relay', 'silent'), {
        intervalMs: 50,
      });
      expect(await relay.publishBatch()).toBeGreaterThanOrEqual(1);
    } finally {
      await prisma.$disconnect();
    }
    for (const queue of [QueueName.ORDERS, QueueName.NOTIFICATIONS]) {
      const jobs = await waitFor(async () => {
        const all = await stack.queues
          .queue(queue)
          .getJobs(['waiting', 'delayed', 'active', 'completed']);
        const mine = all.filter(
          (j) => (j.data as { shipmentId?: string }).shipmentId === order.shipmentId,
        );
        return mine.length > 0 && mine;
      });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({
        name: JobName.SHIPMENT_UPDATED,
        data: {
          orderId: order.orderId,
          status: 'LABEL_CREATED',
          trackingNumber: order.trackingNumber,
        },
      });
    }
  });
});
