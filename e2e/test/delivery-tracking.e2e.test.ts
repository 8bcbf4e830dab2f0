// Live delivery tracking as a mobile app sees it: a paid order becomes a shipment with a
// carrier label, the customer subscribes through the router over graphql-ws, a courier
// records the parcel's steps, and each step arrives live with fields from four subgraphs.
import { createLogger } from '@shop/logging';
import {
  fixtureForFile,
  startTcpProxy,
  subscribe,
  waitFor,
  wsClient,
  type SubscriptionMessage,
} from '@shop/test-harness';
import { UPSTREAM_LOST_MESSAGE } from '../../router/src/subscriptions';
import { loadDeliveryConfig } from '../../subgraphs/delivery/src/config';
import { startDeliveryService, type DeliveryService } from '../../subgraphs/delivery/src/server';
import { RECORD, sign } from '@shop/delivery/testing';
import { startPlatform } from '../src/platform';
import { Shop, type Shopper } from '../src/shop';

const DELIVERY_UPDATED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    snapshot
    event { status location at }
    shipment {
      trackingNumber
      order {
        status
        total { amount }
        lines { quantity product { name } }
        customer { name }
      }
    }
  }
}`;

const platform = fixtureForFile(() => startPlatform());
let shop: Shop;
let courier: string;
beforeAll(async () => {
  shop = new Shop(platform.url);
  courier = await shop.courier();
}, 90_000);

/** A paid order of 2 units, waited for until delivery bought its label. */
async function shippedOrder(shopper: Shopper) {
  const paid = await shop.paidOrder(shopper, 2);
  const order = await shop.orderOnceReady(
    shopper,
    paid.orderId,
    'status shipment { id status carrier trackingNumber }',
    (o) => o.shipment?.status === 'LABEL_CREATED' && o.status === 'FULFILLING',
    'a shipment with a label, and the order FULFILLING',
  );
  return {
    ...paid,
    shipmentId: order.shipment.id as string,
    trackingNumber: order.shipment.trackingNumber as string,
  };
}

/**
 * Subscribes; `ready` waits for the snapshot that opens the subscription: delivery sends it
 * once it listens for the order's events, so no later step is missed.
 */
async function track(
  url: string,
  token: string | undefined,
  orderId: string,
  instance = platform.delivery.service,
) {
  const before = instance.subscriptions().subscribers;
  const client = wsClient(url, token);
  const feed = subscribe(client, DELIVERY_UPDATED, { orderId });
  return {
    client,
    feed,
    ready: async () => {
      await waitFor(() => instance.subscriptions().subscribers > before, {
        what: 'subscription registered in delivery',
      });
      const opening = await feed.next();
      expect(opening?.data?.deliveryUpdated).toMatchObject({
        snapshot: true,
        event: { status: 'LABEL_CREATED' },
      });
    },
  };
}

const record = (shipmentId: string, status: string, location: string) =>
  shop.ok(RECORD, { shipmentId, input: { status, location } }, courier);

describe('deliveryUpdated through the router', () => {
  it("the customer receives the courier's three steps in order, completed across subgraphs", async () => {
    const customer = await shop.shopper({ name: 'Ada Lovelace' });
    const order = await shippedOrder(customer);
    expect(order.trackingNumber).toEqual(expect.any(String));
    const { client, feed, ready } = await track(platform.url, customer.token, order.orderId);
    await ready();

    const steps = [
      ['PICKED_UP', 'Berlin depot'],
      ['OUT_FOR_DELIVERY', 'Berlin Mitte'],
      ['DELIVERED', 'Main Street 1'],
    ] as const;
    const received: SubscriptionMessage[] = [];
    for (const [status, location] of steps) {
      await record(order.shipmentId, status, location);
      received.push((await feed.next())!);
    }
    expect(received.map((m) => m.errors)).toEqual([undefined, undefined, undefined]);
    expect(received.map((m) => m.data!.deliveryUpdated.event)).toEqual(
      steps.map(([status, location]) => ({ status, location, at: expect.any(String) })),
    );
    for (const message of received) {
      expect(message.data!.deliveryUpdated.shipment).toEqual({
        trackingNumber: order.trackingNumber,
        order: {
          // orders follows the shipment through the queue, so the status may lag an event.
          status: expect.stringMatching(/^(FULFILLING|SHIPPED|DELIVERED)$/),
          total: { amount: 5000 },
          lines: [{ quantity: 2, product: { name: expect.any(String) } }],
          customer: { name: 'Ada Lovelace' },
        },
      });
    }
    // ... and the order itself ends DELIVERED, moved by delivery's events through the queue.
    await shop.orderOnceReady(
      customer,
      order.orderId,
      'status',
      (o) => o.status === 'DELIVERED',
      'order DELIVERED',
    );
    feed.unsubscribe();
    await client.dispose();
  }, 60_000);

  it('refuses another customer (FORBIDDEN) and a connection without a token (4403)', async () => {
    const customer = await shop.shopper();
    const order = await shippedOrder(customer);

    const stranger = await shop.shopper();
    const other = wsClient(platform.url, stranger.token);
    const refused = await subscribe(other, DELIVERY_UPDATED, { orderId: order.orderId }).next();
    expect(refused!.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    await other.dispose();

    const anonymous = wsClient(platform.url);
    const closed = await subscribe(anonymous, DELIVERY_UPDATED, { orderId: order.orderId }).next();
    expect(closed!.errors![0]!.extensions).toEqual({ closeCode: 4403 });
    await anonymous.dispose();
  }, 60_000);

  it('an event recorded on one delivery instance reaches a subscriber of another router and instance', async () => {
    // A second delivery process-alike (same database and Redis) behind a second router.
    const second = await startDeliveryService(
      loadDeliveryConfig({ ...stringEnv(platform.delivery.config), DELIVERY_PORT: '0' }),
      createLogger('delivery-2', 'silent'),
    );
    const router2 = await platform.startRouter({ DELIVERY_SUBGRAPH_URL: second.url });
    try {
      const customer = await shop.shopper();
      const order = await shippedOrder(customer);
      const { client, feed, ready } = await track(
        router2.url,
        customer.token,
        order.orderId,
        second,
      );
      await ready();

      // The courier's app talks to the first router, which routes to the first instance.
      await record(order.shipmentId, 'PICKED_UP', 'Hamburg hub');
      const message = await feed.next();
      expect(message!.data!.deliveryUpdated.event).toMatchObject({
        status: 'PICKED_UP',
        location: 'Hamburg hub',
      });
      await client.dispose();
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('carrier webhooks through the router', () => {
  it('a signed carrier scan reaches delivery and the subscriber; a bad signature is refused', async () => {
    const customer = await shop.shopper();
    const order = await shippedOrder(customer);
    const { client, feed, ready } = await track(platform.url, customer.token, order.orderId);
    await ready();

    const body = JSON.stringify({
      id: `scan-${order.shipmentId}`,
      trackingNumber: order.trackingNumber,
      status: 'PICKED_UP',
      location: 'Carrier hub',
      occurredAt: new Date().toISOString(),
    });
    const signed = sign(body);
    const post = (signature: string) =>
      fetch(new URL('/webhooks/carrier', platform.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-carrier-signature': signature },
        body,
      });
    expect((await post('sha256=' + '0'.repeat(64))).status).toBe(401);
    expect((await post(signed)).status).toBe(200);
    const message = await feed.next();
    expect(message!.data!.deliveryUpdated.event).toMatchObject({
      status: 'PICKED_UP',
      location: 'Carrier hub',
    });
    await client.dispose();
  }, 60_000);
});

describe('deliveryUpdated when a delivery replica goes away', () => {
  it('moves every subscription to the other replica: no error, no end, the gap closed by a snapshot; only with no replica left do clients get the error and complete', async () => {
    // Two delivery replicas behind one address, as a Kubernetes Service puts them, and a
    // router that knows delivery only by that address.
    const replicas = await Promise.all(
      ['delivery-a', 'delivery-b'].map((name) =>
        startDeliveryService(
          loadDeliveryConfig({ ...stringEnv(platform.delivery.config), DELIVERY_PORT: '0' }),
          createLogger(name, 'silent'),
        ),
      ),
    );
    const [first, second] = replicas as [DeliveryService, DeliveryService];
    const stopped = new Set<DeliveryService>();
    const stop = async (replica: DeliveryService) => {
      if (stopped.has(replica)) return;
      stopped.add(replica);
      await replica.stop();
    };
    const service = await startTcpProxy(addressOf(first.url));
    const router = await platform.startRouter({
      DELIVERY_SUBGRAPH_URL: `http://127.0.0.1:${service.port}/graphql`,
    });
    const clients: ReturnType<typeof wsClient>[] = [];
    try {
      const customer = await shop.shopper();
      const order = await shippedOrder(customer);
      // Two clients of the customer (one group in the router), an admin and a courier.
      const tokens = [customer.token, customer.token, await shop.adminToken(), courier];
      const feeds = tokens.map((token) => {
        const client = wsClient(router.url, token);
        clients.push(client);
        return subscribe(client, FAILOVER_TRACKED, { orderId: order.orderId });
      });
      const nextOfEach = () => Promise.all(feeds.map((feed) => feed.next()));
      const updates = (messages: (SubscriptionMessage | null)[]) =>
        messages.map((m) => (m?.errors ? m.errors : m?.data?.deliveryUpdated));

      expect(updates(await nextOfEach())).toEqual(
        feeds.map(() => ({ snapshot: true, event: { status: 'LABEL_CREATED', location: null } })),
      );
      await record(order.shipmentId, 'PICKED_UP', 'Berlin depot');
      expect(updates(await nextOfEach())).toEqual(
        feeds.map(() => ({
          snapshot: false,
          event: { status: 'PICKED_UP', location: 'Berlin depot' },
        })),
      );

      // A deploy: the first replica stops; a step is recorded while no replica has the
      // subscriptions; then the Service leads to the second one.
      await stop(first);
      await record(order.shipmentId, 'IN_TRANSIT', 'Leipzig hub');
      service.retarget(addressOf(second.url));
      expect(updates(await nextOfEach())).toEqual(
        feeds.map(() => ({
          snapshot: true,
          event: { status: 'IN_TRANSIT', location: 'Leipzig hub' },
        })),
      );
      await record(order.shipmentId, 'OUT_FOR_DELIVERY', 'Leipzig');
      expect(updates(await nextOfEach())).toEqual(
        feeds.map(() => ({
          snapshot: false,
          event: { status: 'OUT_FOR_DELIVERY', location: 'Leipzig' },
        })),
      );

      // The last replica goes too, and nothing answers at the address any more.
      await stop(second);
      await service.close();
      expect(updates(await nextOfEach())).toEqual(
        feeds.map(() => [
          { message: UPSTREAM_LOST_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ]),
      );
      expect(await nextOfEach()).toEqual(feeds.map(() => null));
    } finally {
      await Promise.all(clients.map(async (client) => client.dispose()));
      await service.close();
      for (const replica of replicas) await stop(replica);
    }
  }, 90_000);
});

const FAILOVER_TRACKED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    snapshot
    event { status location }
  }
}`;

function addressOf(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

/** A parsed config back as the environment strings it was loaded from. */
function stringEnv(config: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([, v]) => v !== undefined && typeof v !== 'object')
      .map(([k, v]) => [k, String(v)]),
  );
}
