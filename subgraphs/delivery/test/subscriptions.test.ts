import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import Redis from 'ioredis';
import { fixtureForFile, TEST_REDIS_URL, waitFor } from '@shop/test-harness';
import { startDeliveryService, type DeliveryService } from '../src/server';
import { startDeliveryStack } from './support/stack';
import { connect, handshake, subscribe, type Subscription } from './support/ws';

const clients: Client[] = [];
// Added before the stack's own afterAll, so the clients go before the stack stops.
afterAll(async () => {
  await Promise.all(clients.map(async (c) => c.dispose()));
});
const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));
// Every test ends with its subscriptions freed, so counts start from zero in the next.
afterEach(async () => {
  await waitFor(() => stack.service.subscriptions().subscribers === 0, {
    what: 'subscriptions freed',
  });
});

function client(token?: string, service: DeliveryService = stack.service): Client {
  const c = connect(service.wsUrl, token);
  clients.push(c);
  return c;
}

/**
 * Subscribes and waits until the service holds the subscription (Redis is listening), then
 * reads the opening snapshot, which an order with a shipment always sends first.
 */
async function follow(
  orderId: string,
  token: string,
  service: DeliveryService = stack.service,
  { snapshot = true } = {},
): Promise<Subscription> {
  const before = service.subscriptions().subscribers;
  const sub = subscribe(client(token, service), orderId);
  await waitFor(() => service.subscriptions().subscribers > before, { what: 'subscription live' });
  if (snapshot) expect((await sub.next())?.data?.deliveryUpdated.snapshot).toBe(true);
  return sub;
}

/** Subscribes and returns the first message: for subscriptions the server refuses. */
async function refusal(orderId: string, token?: string) {
  const first = await subscribe(client(token), orderId).next();
  return first?.errors?.map((e) => e.extensions?.code ?? e.message);
}

describe('Subscription.deliveryUpdated over graphql-ws', () => {
  it("the order's customer receives each tracking event, in order, with the shipment as it is then", async () => {
    const order = await stack.labelledOrder();
    const sub = await follow(order.orderId, order.customer.token);

    await stack.record(order.shipmentId, { status: 'PICKED_UP', location: 'Berlin depot' });
    await stack.record(order.shipmentId, { status: 'IN_TRANSIT', note: 'On its way' });
    const webhook = await stack.postCarrierEvent({
      id: `evt_${randomUUID()}`,
      trackingNumber: order.trackingNumber,
      status: 'OUT_FOR_DELIVERY',
      location: 'Potsdam',
      occurredAt: new Date().toISOString(),
    });
    expect(webhook.status).toBe(200);

    const received = [await sub.next(), await sub.next(), await sub.next()];
    expect(received.map((r) => r?.errors)).toEqual([undefined, undefined, undefined]);
    expect(received.map((r) => r!.data!.deliveryUpdated)).toEqual([
      {
        shipment: {
          __typename: 'Shipment',
          id: order.shipmentId,
          trackingNumber: order.trackingNumber,
          status: 'PICKED_UP',
          order: { __typename: 'Order', id: order.orderId },
        },
        event: {
          status: 'PICKED_UP',
          location: 'Berlin depot',
          note: null,
          at: expect.any(String),
        },
        snapshot: false,
      },
      expect.objectContaining({
        shipment: expect.objectContaining({ status: 'IN_TRANSIT' }),
        event: expect.objectContaining({ status: 'IN_TRANSIT', note: 'On its way' }),
      }),
      expect.objectContaining({
        shipment: expect.objectContaining({ status: 'OUT_FOR_DELIVERY' }),
        event: expect.objectContaining({ status: 'OUT_FOR_DELIVERY', location: 'Potsdam' }),
      }),
    ]);
    sub.unsubscribe();
  });

  it('follows an order paid a moment ago: orders says who owns it, and the label event arrives', async () => {
    const order = stack.paidOrder();
    // No shipment yet, so no snapshot: the label event is the first message.
    const sub = await follow(order.orderId, order.customer.token, stack.service, {
      snapshot: false,
    });
    expect(stack.orders.lookups).toContainEqual({ operation: 'OrderOwner', id: order.orderId });

    const finished = await stack.waitForJob(await stack.addPaidJob(order));
    const first = await sub.next();
    expect(first?.data?.deliveryUpdated).toMatchObject({
      shipment: {
        id: finished.result.shipmentId,
        status: 'LABEL_CREATED',
        trackingNumber: finished.result.trackingNumber,
      },
      event: { status: 'LABEL_CREATED' },
    });
    sub.unsubscribe();
  });

  it('ADMINs and COURIERs may follow any order', async () => {
    const order = await stack.labelledOrder();
    const subs = [
      await follow(order.orderId, stack.adminToken),
      await follow(order.orderId, stack.courierToken),
    ];
    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    for (const sub of subs) {
      expect((await sub.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');
      sub.unsubscribe();
    }
  });

  it("refuses another customer's order (FORBIDDEN), an unknown one (NOT_FOUND), a malformed id and no token", async () => {
    const order = await stack.labelledOrder();
    const unpaid = stack.paidOrder(); // known to orders only
    expect(await refusal(order.orderId, stack.customer().token)).toEqual(['FORBIDDEN']);
    expect(await refusal(unpaid.orderId, stack.customer().token)).toEqual(['FORBIDDEN']);
    expect(await refusal(randomUUID(), stack.adminToken)).toEqual(['NOT_FOUND']);
    expect(await refusal('order-1', order.customer.token)).toEqual(['BAD_USER_INPUT']);
    expect(await refusal(order.orderId)).toEqual(['UNAUTHENTICATED']);
    expect(stack.service.subscriptions()).toEqual({ subscribers: 0, channels: 0 });
  });

  it('closes a connection whose token is bad with 4403 Forbidden; a good one is acknowledged', async () => {
    const expired = stack.issuer.userToken({}, { expiresIn: -10 });
    for (const payload of [
      { authorization: 'Bearer not-a-jwt' },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${stack.issuer.foreignToken()}` },
      { authorization: 42 },
    ]) {
      expect(await handshake(stack.service.wsUrl, payload)).toEqual({
        code: 4403,
        reason: 'Forbidden',
      });
    }
    expect(
      await handshake(stack.service.wsUrl, { authorization: `Bearer ${stack.courierToken}` }),
    ).toEqual({
      ack: true,
    });
  });

  it('a subscriber on one replica receives an event recorded on another', async () => {
    const replica = await startDeliveryService({
      ...stack.config,
      DELIVERY_PORT: 0,
      OUTBOX_RELAY_ENABLED: false,
    });
    try {
      const order = await stack.labelledOrder();
      const sub = await follow(order.orderId, order.customer.token, replica);
      await stack.record(order.shipmentId, { status: 'PICKED_UP', location: 'Replica A' });
      expect((await sub.next())?.data?.deliveryUpdated.event).toMatchObject({
        status: 'PICKED_UP',
        location: 'Replica A',
      });
      sub.unsubscribe();
    } finally {
      await replica.stop();
    }
  });

  it('unsubscribing or disconnecting frees the listener and the Redis channel', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const channel = `${stack.config.PUBSUB_CHANNEL_PREFIX}:order:`;
    const numsub = async (orderId: string) =>
      Number(((await redis.pubsub('NUMSUB', `${channel}${orderId}`)) as [string, number])[1]);
    try {
      const order = await stack.labelledOrder();
      const a = await follow(order.orderId, order.customer.token);
      const b = await follow(order.orderId, stack.adminToken);
      // Two local subscribers of one order share one Redis subscription.
      expect(stack.service.subscriptions()).toEqual({ subscribers: 2, channels: 1 });
      expect(await numsub(order.orderId)).toBe(1);

      a.unsubscribe();
      await waitFor(() => stack.service.subscriptions().subscribers === 1, { what: 'a freed' });
      expect(await numsub(order.orderId)).toBe(1);
      // The one left still receives events.
      await stack.record(order.shipmentId, { status: 'PICKED_UP' });
      expect((await b.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');

      // b's client goes away without unsubscribing.
      await clients[clients.length - 1]!.dispose();
      await waitFor(() => stack.service.subscriptions().subscribers === 0, { what: 'b freed' });
      expect(stack.service.subscriptions()).toEqual({ subscribers: 0, channels: 0 });
      await waitFor(async () => (await numsub(order.orderId)) === 0, {
        what: 'redis unsubscribed',
      });
    } finally {
      redis.disconnect();
    }
  });
});
