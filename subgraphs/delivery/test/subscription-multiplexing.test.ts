import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { fixtureForFile, waitFor } from '@shop/test-harness';
import { startDeliveryStack } from './support/stack';
import { connect, connectAsRouter, subscribe, type Subscription } from './support/ws';

const stack = fixtureForFile(() => startDeliveryStack({ OUTBOX_RELAY_ENABLED: 'false' }));
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await waitFor(() => stack.service.subscriptions().subscribers === 0, {
    what: 'subscriptions freed',
  });
});

/** One socket as the router opens it, for every subscription of a test. */
function sharedSocket() {
  const socket = connectAsRouter(stack.service.wsUrl);
  clients.push(socket.client);
  return socket;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Subscribes with `extensions` and waits until delivery holds the subscription. */
async function follow(
  client: Client,
  orderId: string,
  extensions: Record<string, unknown>,
): Promise<Subscription> {
  const before = stack.service.subscriptions().subscribers;
  const sub = subscribe(client, orderId, extensions);
  await waitFor(() => stack.service.subscriptions().subscribers > before, {
    what: 'subscription live',
  });
  // Every order here has a shipment: its snapshot comes first.
  expect((await sub.next())?.data?.deliveryUpdated.snapshot).toBe(true);
  return sub;
}

/** The codes of a subscription's first message: for subscriptions delivery refuses. */
async function refusal(client: Client, orderId: string, extensions?: Record<string, unknown>) {
  const first = await subscribe(client, orderId, extensions).next();
  return first?.errors?.map((e) => e.extensions?.code ?? e.message);
}

describe('many callers over one socket (the router multiplexing its clients)', () => {
  it("judges each subscription by its own token: a stranger is refused next to the customer's live stream", async () => {
    const order = await stack.labelledOrder();
    const socket = sharedSocket();
    const customer = await follow(socket.client, order.orderId, bearer(order.customer.token));

    expect(await refusal(socket.client, order.orderId, bearer(stack.customer().token))).toEqual([
      'FORBIDDEN',
    ]);

    await stack.record(order.shipmentId, { status: 'PICKED_UP', location: 'Berlin depot' });
    expect((await customer.next())?.data?.deliveryUpdated.event).toMatchObject({
      status: 'PICKED_UP',
      location: 'Berlin depot',
    });
    expect(stack.service.subscriptions().subscribers).toBe(1);
    expect(socket.connections()).toBe(1);
    expect(socket.closes).toEqual([]);
    customer.unsubscribe();
  });

  it("never lends an open subscription's identity to the next one on the socket", async () => {
    const order = await stack.labelledOrder();
    const socket = sharedSocket();
    // An ADMIN may follow any order; the stranger after it, on the same socket, may not.
    const admin = await follow(socket.client, order.orderId, bearer(stack.adminToken));
    const courier = await follow(socket.client, order.orderId, bearer(stack.courierToken));

    expect(await refusal(socket.client, order.orderId, bearer(stack.customer().token))).toEqual([
      'FORBIDDEN',
    ]);
    // Without a token of its own, a subscription is anonymous: the socket carries none.
    expect(await refusal(socket.client, order.orderId)).toEqual(['UNAUTHENTICATED']);

    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    for (const sub of [admin, courier]) {
      expect((await sub.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');
      sub.unsubscribe();
    }
    expect(socket.connections()).toBe(1);
  });

  it('refuses a subscription whose token is bad with UNAUTHENTICATED, and keeps the socket for the others', async () => {
    const order = await stack.labelledOrder();
    const socket = sharedSocket();
    const customer = await follow(socket.client, order.orderId, bearer(order.customer.token));
    const expired = stack.issuer.userToken({ sub: order.customer.userId }, { expiresIn: -10 });

    for (const extensions of [
      bearer(expired),
      bearer(stack.issuer.foreignToken()),
      { authorization: 'Bearer not-a-jwt' },
      { authorization: order.customer.token }, // no "Bearer "
      { authorization: 42 },
      { authorization: '' },
    ]) {
      expect(await refusal(socket.client, order.orderId, extensions)).toEqual(['UNAUTHENTICATED']);
    }

    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    expect((await customer.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');
    expect(socket.connections()).toBe(1);
    expect(socket.closes).toEqual([]);
    customer.unsubscribe();
  });

  it("a subscription's own token wins over its socket's connection_init token, both ways", async () => {
    const order = await stack.labelledOrder();
    // The socket belongs to an ADMIN; a stranger's subscription on it stays a stranger's.
    const adminSocket = connect(stack.service.wsUrl, stack.adminToken);
    clients.push(adminSocket);
    expect(await refusal(adminSocket, order.orderId, bearer(stack.customer().token))).toEqual([
      'FORBIDDEN',
    ]);

    // The socket belongs to a stranger; the customer's own token on it is the customer's.
    const strangerSocket = connect(stack.service.wsUrl, stack.customer().token);
    clients.push(strangerSocket);
    const customer = await follow(strangerSocket, order.orderId, bearer(order.customer.token));
    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    expect((await customer.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');
    customer.unsubscribe();
  });

  it('ends only the subscription a caller completes; the others on the socket keep receiving', async () => {
    const order = await stack.labelledOrder();
    const socket = sharedSocket();
    const first = await follow(socket.client, order.orderId, bearer(order.customer.token));
    const second = await follow(socket.client, order.orderId, bearer(stack.courierToken));

    first.unsubscribe();
    await waitFor(() => stack.service.subscriptions().subscribers === 1, { what: 'first freed' });

    await stack.record(order.shipmentId, { status: 'PICKED_UP' });
    expect((await second.next())?.data?.deliveryUpdated.event.status).toBe('PICKED_UP');
    expect(socket.connections()).toBe(1);
    second.unsubscribe();
  });

  it('answers a document that does not parse or validate on that subscription alone', async () => {
    const socket = sharedSocket();
    const token = stack.adminToken;
    const results: unknown[] = [];
    const ended = (query: string) =>
      new Promise<void>((resolve) => {
        socket.client.subscribe(
          { query, variables: { orderId: randomUUID() }, extensions: bearer(token) },
          {
            next: () => undefined,
            error: (error) => {
              results.push(error);
              resolve();
            },
            complete: resolve,
          },
        );
      });

    await ended('subscription { deliveryUpdated(orderId: "x") { event { status }');
    await ended('subscription { deliveryUpdated(orderId: "x") { weather } }');

    expect(results).toEqual([
      [expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
      [
        expect.objectContaining({
          message: expect.stringContaining('weather'),
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ],
    ]);
    expect(socket.closes).toEqual([]);
  });
});
