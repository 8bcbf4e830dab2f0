import { randomUUID } from 'node:crypto';
import { Role } from '@shop/auth';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { ENTITIES, SHIPMENT } from './support/operations';
import { startDeliveryStack, type LabelledOrder } from './support/stack';

const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));

const statusOf = async (shipmentId: string) =>
  (
    await stack.sql<{ status: string }>('SELECT status FROM shipments WHERE id = $1', [shipmentId])
  )[0]!.status;
const eventCount = async (shipmentId: string) =>
  (
    await stack.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM tracking_events WHERE shipment_id = $1',
      [shipmentId],
    )
  )[0]!.n;

async function walk(order: LabelledOrder, ...statuses: string[]) {
  for (const status of statuses) {
    const res = await stack.record(order.shipmentId, { status });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  }
}

describe('recordTrackingEvent', () => {
  it('a COURIER walks the shipment to DELIVERED; each step is an event, each change an outbox row', async () => {
    const order = await stack.labelledOrder();
    const courierId = randomUUID();
    const courier = stack.issuer.userToken({ sub: courierId, roles: [Role.COURIER] });
    const picked = await stack.record(
      order.shipmentId,
      { status: 'PICKED_UP', location: ' Berlin depot ', note: 'Two boxes' },
      courier,
    );
    expect(picked.errors).toBeUndefined();
    expect(picked.data?.recordTrackingEvent).toMatchObject({
      id: order.shipmentId,
      status: 'PICKED_UP',
      events: [
        { status: 'LABEL_CREATED' },
        { status: 'PICKED_UP', location: 'Berlin depot', note: 'Two boxes' },
      ],
    });
    await walk(order, 'IN_TRANSIT', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'FAILED_ATTEMPT');
    await walk(order, 'OUT_FOR_DELIVERY', 'DELIVERED');

    const read = await stack.call(SHIPMENT, { id: order.shipmentId }, order.customer.token);
    expect(read.data?.shipment.events.map((e: { status: string }) => e.status)).toEqual([
      'LABEL_CREATED',
      'PICKED_UP',
      'IN_TRANSIT',
      'IN_TRANSIT',
      'OUT_FOR_DELIVERY',
      'FAILED_ATTEMPT',
      'OUT_FOR_DELIVERY',
      'DELIVERED',
    ]);
    const outbox = await stack.sql<{ status: string }>(
      `SELECT payload->>'status' AS status FROM outbox WHERE payload->>'shipmentId' = $1 ORDER BY created_at`,
      [order.shipmentId],
    );
    // The second hub scan (IN_TRANSIT → IN_TRANSIT) is no news for orders or notifications.
    expect(outbox.map((r) => r.status)).toEqual([
      'LABEL_CREATED',
      'PICKED_UP',
      'IN_TRANSIT',
      'OUT_FOR_DELIVERY',
      'FAILED_ATTEMPT',
      'OUT_FOR_DELIVERY',
      'DELIVERED',
    ]);
  });

  it('records the courier who recorded last', async () => {
    const order = await stack.labelledOrder();
    const courierId = randomUUID();
    await stack.record(
      order.shipmentId,
      { status: 'PICKED_UP' },
      stack.issuer.userToken({ sub: courierId, roles: [Role.COURIER] }),
    );
    const [row] = await stack.sql('SELECT courier FROM shipments WHERE id = $1', [
      order.shipmentId,
    ]);
    expect(row!.courier).toBe(courierId);
  });

  it('ADMIN may record; a CUSTOMER is FORBIDDEN and an anonymous caller UNAUTHENTICATED', async () => {
    const order = await stack.labelledOrder();
    const anonymous = await stack.call(
      'mutation($id: ID!) { recordTrackingEvent(shipmentId: $id, input: { status: PICKED_UP }) { id } }',
      { id: order.shipmentId },
    );
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(
      errorCodes(
        await stack.record(order.shipmentId, { status: 'PICKED_UP' }, order.customer.token),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(await statusOf(order.shipmentId)).toBe('LABEL_CREATED');
    const admin = await stack.record(order.shipmentId, { status: 'PICKED_UP' }, stack.adminToken);
    expect(admin.data?.recordTrackingEvent.status).toBe('PICKED_UP');
  });

  it('an unknown or malformed shipment id is NOT_FOUND', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', "1' OR '1'='1"]) {
      const res = await stack.record(id, { status: 'PICKED_UP' });
      expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    }
  });

  it('refuses an illegal step with BAD_USER_INPUT naming both states, and changes nothing', async () => {
    const order = await stack.labelledOrder();
    const res = await stack.record(order.shipmentId, { status: 'DELIVERED' });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toMatch(/is LABEL_CREATED and cannot become DELIVERED/);
    expect(res.errors![0]!.extensions).toMatchObject({
      from: 'LABEL_CREATED',
      to: 'DELIVERED',
      field: 'status',
    });
    expect(await statusOf(order.shipmentId)).toBe('LABEL_CREATED');
    expect(await eventCount(order.shipmentId)).toBe(1);

    await walk(order, 'PICKED_UP', 'OUT_FOR_DELIVERY', 'DELIVERED');
    const after = await stack.record(order.shipmentId, { status: 'RETURNED' });
    expect(after.errors![0]!.message).toMatch(/DELIVERED is final/);
  });

  it('refuses LABEL_CREATED, a too long location or note, leaving the shipment as it was', async () => {
    const order = await stack.labelledOrder();
    for (const input of [
      { status: 'LABEL_CREATED' },
      { status: 'PICKED_UP', location: 'x'.repeat(201) },
      { status: 'PICKED_UP', note: 'x'.repeat(501) },
    ]) {
      expect(errorCodes(await stack.record(order.shipmentId, input))).toEqual(['BAD_USER_INPUT']);
    }
    expect(await eventCount(order.shipmentId)).toBe(1);
  });

  it('two couriers recording conflicting steps at once: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const order = await stack.labelledOrder();
      await walk(order, 'PICKED_UP', 'OUT_FOR_DELIVERY');
      // From OUT_FOR_DELIVERY both DELIVERED and FAILED_ATTEMPT are legal, but not one after
      // the other: whichever commits second must be checked against the first's status.
      const results = await Promise.all([
        stack.record(order.shipmentId, { status: 'DELIVERED' }),
        stack.record(order.shipmentId, { status: 'FAILED_ATTEMPT' }),
        stack.record(order.shipmentId, { status: 'DELIVERED' }),
      ]);
      const ok = results.filter((r) => !r.errors);
      expect(
        results
          .filter((r) => r.errors)
          .flatMap(errorCodes)
          .every((c) => c === 'BAD_USER_INPUT'),
      ).toBe(true);
      // DELIVERED first: nothing else may follow. FAILED_ATTEMPT first: neither DELIVERED may.
      expect(ok).toHaveLength(1);
      expect(await eventCount(order.shipmentId)).toBe(4);
    }
  });
});

describe('reading shipments', () => {
  it('the customer, ADMIN, COURIER and an orders:read service see it; other customers do not', async () => {
    const order = await stack.labelledOrder();
    for (const token of [
      order.customer.token,
      stack.adminToken,
      stack.courierToken,
      stack.issuer.serviceToken('notifications', ['orders:read']),
    ]) {
      const res = await stack.call(SHIPMENT, { id: order.shipmentId }, token);
      expect(res.data?.shipment.id).toBe(order.shipmentId);
    }
    for (const token of [
      stack.customer().token,
      stack.issuer.serviceToken('cart', ['users:read']),
      undefined,
    ]) {
      const res = await stack.call(SHIPMENT, { id: order.shipmentId }, token);
      expect(errorCodes(res)).toEqual(['NOT_FOUND']);
    }
  });

  it('resolves Order.shipment and Shipment references in one batch, null where not allowed', async () => {
    const [a, b] = [await stack.labelledOrder(), await stack.labelledOrder()];
    const unpaid = randomUUID();
    const res = await stack.call(
      ENTITIES,
      {
        representations: [
          { __typename: 'Order', id: a.orderId },
          { __typename: 'Order', id: b.orderId },
          { __typename: 'Order', id: unpaid },
          { __typename: 'Shipment', id: a.shipmentId },
          { __typename: 'Shipment', id: b.shipmentId },
        ],
      },
      a.customer.token,
    );
    expect(res.errors).toBeUndefined();
    const [orderA, orderB, orderUnpaid, shipmentA, shipmentB] = res.data!._entities;
    expect(orderA.shipment).toMatchObject({ id: a.shipmentId, trackingNumber: a.trackingNumber });
    expect(orderB.shipment).toBeNull(); // someone else's
    expect(orderUnpaid).toEqual({ id: unpaid, shipment: null });
    expect(shipmentA).toMatchObject({
      id: a.shipmentId,
      order: { __typename: 'Order', id: a.orderId },
    });
    expect(shipmentB).toBeNull();

    const admin = await stack.call(
      ENTITIES,
      { representations: [a, b].map((o) => ({ __typename: 'Order', id: o.orderId })) },
      stack.adminToken,
    );
    expect(admin.data!._entities.map((o: any) => o.shipment.id)).toEqual([
      a.shipmentId,
      b.shipmentId,
    ]);
  });
});
