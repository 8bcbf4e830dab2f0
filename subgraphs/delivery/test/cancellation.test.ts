// An order cancelled or refunded while, or after, its label is bought: the parcel must not
// leave. Races are staged in the fake carrier (while it sells the label) and in the fake
// orders (while delivery asks for the order's status a second time).
import { randomUUID } from 'node:crypto';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { jobId, JobName, QueueName } from '@shop/queues';
import { SHIPMENT } from './support/operations';
import { startDeliveryStack, type PaidOrder } from './support/stack';

const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));
afterEach(() => {
  stack.carrier.onLabel = null;
  stack.orders.onLookup = null;
});

const shipmentOf = async (orderId: string) =>
  (
    await stack.sql<{
      id: string;
      status: string;
      tracking_number: string | null;
      label_voided_at: Date | null;
    }>('SELECT id, status, tracking_number, label_voided_at FROM shipments WHERE order_id = $1', [
      orderId,
    ])
  )[0];
const eventsOf = (shipmentId: string) =>
  stack.sql<{ status: string; source: string; note: string | null }>(
    'SELECT status, source, note FROM tracking_events WHERE shipment_id = $1 ORDER BY sequence',
    [shipmentId],
  );
const outboxStatuses = async (shipmentId: string) =>
  (
    await stack.sql<{ status: string }>(
      `SELECT payload->>'status' AS status FROM outbox WHERE payload->>'shipmentId' = $1 ORDER BY created_at`,
      [shipmentId],
    )
  ).map((r) => r.status);
const voidsOf = (trackingNumber: string) =>
  stack.carrier.voids.filter((v) => v.trackingNumber === trackingNumber);

/** Adds order.cancelled or order.refunded to the delivery queue, as orders' relay would. */
async function addStopJob(
  order: PaidOrder,
  name: typeof JobName.ORDER_CANCELLED | typeof JobName.ORDER_REFUNDED = JobName.ORDER_CANCELLED,
): Promise<string> {
  const id = jobId(name, randomUUID());
  const base = { orderId: order.orderId, userId: order.customer.userId, currency: 'EUR' };
  await stack.queues
    .queue(QueueName.DELIVERY)
    .add(
      name,
      name === JobName.ORDER_CANCELLED
        ? { ...base, total: 3000, refunded: true, reason: 'customer' }
        : { ...base, amount: 3000 },
      { jobId: id },
    );
  return id;
}

describe('an order cancelled while its label is bought', () => {
  it('cancels the shipment and voids the label instead of marking it LABEL_CREATED', async () => {
    const order = stack.paidOrder();
    // The customer cancels (orders refunds at once) while the carrier prints the label.
    stack.carrier.onLabel = (body) => {
      if (body.reference === order.orderId) stack.orders.setStatus(order.orderId, 'CANCELLED');
    };
    const done = await stack.waitForJob(await stack.addPaidJob(order));
    expect(done).toMatchObject({
      state: 'completed',
      result: {
        status: 'CANCELLED',
        labelBought: true,
        labelVoided: true,
        skipped: 'order is CANCELLED',
      },
    });
    const trackingNumber = done.result.trackingNumber as string;
    expect(stack.carrier.voided.has(trackingNumber)).toBe(true);
    const [voidCall] = voidsOf(trackingNumber);
    const shipment = await shipmentOf(order.orderId);
    expect(voidCall).toMatchObject({ status: 200, idempotencyKey: `void-${shipment!.id}` });
    expect(shipment).toMatchObject({ status: 'CANCELLED', tracking_number: trackingNumber });
    expect(shipment!.label_voided_at).toBeInstanceOf(Date);
    // Never LABEL_CREATED, so orders never moves the refunded order to FULFILLING.
    expect(await eventsOf(shipment!.id)).toEqual([
      {
        status: 'CANCELLED',
        source: 'SHOP',
        note: 'The order was cancelled before the parcel was picked up; it will not be sent.',
      },
    ]);
    expect(await outboxStatuses(shipment!.id)).toEqual([]);

    // The customer sees it; a courier cannot pick it up; the carrier's scan is refused.
    const read = await stack.call(SHIPMENT, { id: shipment!.id }, order.customer.token);
    expect(read.data!.shipment).toMatchObject({ status: 'CANCELLED', trackingNumber });
    const pickUp = await stack.record(shipment!.id, { status: 'PICKED_UP' });
    expect(errorCodes(pickUp)).toEqual(['BAD_USER_INPUT']);
    expect(pickUp.errors![0]!.message).toMatch(/is CANCELLED and cannot become PICKED_UP.*final/);
    const scan = await stack.postCarrierEvent({
      id: `evt_${randomUUID()}`,
      trackingNumber,
      status: 'PICKED_UP',
      occurredAt: new Date().toISOString(),
    });
    expect(scan).toMatchObject({ status: 409, body: { from: 'CANCELLED', to: 'PICKED_UP' } });

    // order.paid delivered again buys nothing and voids nothing twice.
    const again = await stack.waitForJob(await stack.addPaidJob(order));
    expect(again.result).toMatchObject({
      status: 'CANCELLED',
      labelBought: false,
      labelVoided: false,
    });
    expect(voidsOf(trackingNumber)).toHaveLength(1);
  });

  it('retries a void the carrier could not take (503) until it is confirmed', async () => {
    const order = stack.paidOrder();
    stack.carrier.onLabel = (body) => {
      if (body.reference !== order.orderId) return;
      // Refunded by an ADMIN meanwhile; the carrier's next answer (the void) is a 503.
      stack.orders.setStatus(order.orderId, 'REFUNDED');
      stack.carrier.failNext(1, 503);
    };
    const done = await stack.waitForJob(await stack.addPaidJob(order));
    expect(done).toMatchObject({
      state: 'completed',
      attemptsMade: 2,
      result: { status: 'CANCELLED', labelBought: false, labelVoided: true },
    });
    const shipment = await shipmentOf(order.orderId);
    expect(voidsOf(shipment!.tracking_number!).map((v) => v.status)).toEqual([503, 200]);
    expect(shipment!.label_voided_at).toBeInstanceOf(Date);
    expect((await eventsOf(shipment!.id))[0]!.note).toMatch(/was refunded before/);
  });

  it('voids the label when order.cancelled cancelled the shipment after orders still said PAID', async () => {
    const order = stack.paidOrder();
    let looked = 0;
    stack.orders.onLookup = async ({ operation, id }) => {
      if (id !== order.orderId || operation !== 'OrderShippingAddress' || ++looked !== 2) return;
      // orders answers PAID to the second look; the cancellation commits right after, and
      // its order.cancelled job reaches delivery before the label is recorded.
      const cancelled = await stack.waitForJob(await addStopJob(order));
      expect(cancelled.result).toMatchObject({ outcome: 'cancelled', labelVoided: false });
    };
    const done = await stack.waitForJob(await stack.addPaidJob(order));
    expect(done).toMatchObject({
      state: 'completed',
      result: { status: 'CANCELLED', labelBought: true, labelVoided: true },
    });
    const shipment = await shipmentOf(order.orderId);
    expect(shipment).toMatchObject({
      status: 'CANCELLED',
      tracking_number: done.result.trackingNumber,
    });
    expect(stack.carrier.voided.has(done.result.trackingNumber)).toBe(true);
    expect((await eventsOf(shipment!.id)).map((e) => e.status)).toEqual(['CANCELLED']);
  });
});

describe('order.cancelled and order.refunded after the label', () => {
  it('cancels a LABEL_CREATED shipment and voids its label', async () => {
    const order = await stack.labelledOrder();
    const done = await stack.waitForJob(await addStopJob(order, JobName.ORDER_REFUNDED));
    expect(done).toMatchObject({
      state: 'completed',
      result: { outcome: 'cancelled', status: 'CANCELLED', labelVoided: true },
    });
    expect(stack.carrier.voided.has(order.trackingNumber)).toBe(true);
    expect((await eventsOf(order.shipmentId)).map((e) => e.status)).toEqual([
      'LABEL_CREATED',
      'CANCELLED',
    ]);
    // LABEL_CREATED was announced; CANCELLED stays in delivery.
    expect(await outboxStatuses(order.shipmentId)).toEqual(['LABEL_CREATED']);
  });

  it('leaves a parcel the carrier already has, and voids nothing', async () => {
    const order = await stack.labelledOrder();
    expect((await stack.record(order.shipmentId, { status: 'PICKED_UP' })).errors).toBeUndefined();
    const done = await stack.waitForJob(await addStopJob(order, JobName.ORDER_REFUNDED));
    expect(done).toMatchObject({
      state: 'completed',
      result: { outcome: 'too-late', status: 'PICKED_UP' },
    });
    expect(voidsOf(order.trackingNumber)).toEqual([]);
    expect((await shipmentOf(order.orderId))!.status).toBe('PICKED_UP');
  });

  it('fails for an operator when the carrier refuses the void (the parcel was scanned)', async () => {
    const order = await stack.labelledOrder();
    stack.carrier.scan(order.trackingNumber);
    const done = await stack.waitForJob(await addStopJob(order));
    expect(done).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(done.failedReason).toMatch(/carrier refused the label void \(HTTP 409\)/);
    // Cancelled all the same: no courier may take it, and the operator knows which parcel.
    expect(await shipmentOf(order.orderId)).toMatchObject({
      status: 'CANCELLED',
      label_voided_at: null,
    });
  });

  it('does nothing for an order that has no shipment (cancelled before payment)', async () => {
    const order = stack.paidOrder('CANCELLED');
    const done = await stack.waitForJob(await addStopJob(order));
    expect(done).toMatchObject({ state: 'completed', result: { outcome: 'no-shipment' } });
    expect(await shipmentOf(order.orderId)).toBeUndefined();
  });
});
