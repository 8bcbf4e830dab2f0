import type { Client } from 'graphql-ws';
import { fixtureForFile } from '@shop/test-harness';
import { startDeliveryStack } from './support/stack';
import { connect, subscribe, type Subscription } from './support/ws';

const clients: Client[] = [];
// Added before the stack's own afterAll, so the clients go before the stack stops.
afterAll(async () => {
  await Promise.all(clients.map(async (c) => c.dispose()));
});
const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));

/**
 * Subscribes with a socket of its own. Delivery sends the snapshot once it listens for the
 * order's events, so a step recorded after the snapshot arrived is never missed.
 */
function follow(orderId: string, token: string): Subscription {
  const client = connect(stack.service.wsUrl, token);
  clients.push(client);
  return subscribe(client, orderId);
}

describe('the snapshot that opens every deliveryUpdated subscription', () => {
  it('comes first, with the shipment as it is and its latest step; live steps follow it', async () => {
    const order = await stack.labelledOrder();
    const sub = follow(order.orderId, order.customer.token);

    const opening = await sub.next();
    expect(opening?.errors).toBeUndefined();
    expect(opening?.data?.deliveryUpdated).toEqual({
      shipment: {
        __typename: 'Shipment',
        id: order.shipmentId,
        trackingNumber: order.trackingNumber,
        status: 'LABEL_CREATED',
        order: { __typename: 'Order', id: order.orderId },
      },
      event: { status: 'LABEL_CREATED', location: null, note: null, at: expect.any(String) },
      snapshot: true,
    });

    await stack.record(order.shipmentId, { status: 'PICKED_UP', location: 'Berlin depot' });
    expect((await sub.next())?.data?.deliveryUpdated).toMatchObject({
      shipment: { status: 'PICKED_UP' },
      event: { status: 'PICKED_UP', location: 'Berlin depot' },
      snapshot: false,
    });
    sub.unsubscribe();
  });

  it('tells a client that subscribes again what happened while it was away', async () => {
    const order = await stack.labelledOrder();
    const before = follow(order.orderId, order.customer.token);
    expect((await before.next())?.data?.deliveryUpdated.snapshot).toBe(true);
    before.unsubscribe();

    // Recorded while nobody listened.
    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    await stack.record(order.shipmentId, { status: 'IN_TRANSIT', location: 'Leipzig hub' });

    const again = follow(order.orderId, order.customer.token);
    expect((await again.next())?.data?.deliveryUpdated).toMatchObject({
      shipment: { id: order.shipmentId, status: 'IN_TRANSIT' },
      event: { status: 'IN_TRANSIT', location: 'Leipzig hub' },
      snapshot: true,
    });
    await stack.record(order.shipmentId, { status: 'OUT_FOR_DELIVERY' });
    expect((await again.next())?.data?.deliveryUpdated).toMatchObject({
      event: { status: 'OUT_FOR_DELIVERY' },
      snapshot: false,
    });
    again.unsubscribe();
  });

  it('is sent to ADMINs and COURIERs too, and to nobody else', async () => {
    const order = await stack.labelledOrder();
    for (const token of [stack.adminToken, stack.courierToken]) {
      const sub = follow(order.orderId, token);
      expect((await sub.next())?.data?.deliveryUpdated).toMatchObject({
        shipment: { id: order.shipmentId, status: 'LABEL_CREATED' },
        snapshot: true,
      });
      sub.unsubscribe();
    }
    const client = connect(stack.service.wsUrl, stack.customer().token);
    clients.push(client);
    const stranger = await subscribe(client, order.orderId).next();
    expect(stranger?.data).toBeUndefined();
    expect(stranger?.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
