import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/test-harness';
import { record, TRACKED, type TestClient } from './support/subscriptions';
import { subscriptionStackForFile } from './support/subscription-stack-for-file';
import { NOT_A_SUBSCRIPTION_MESSAGE } from '../src/subscriptions';

const stack = subscriptionStackForFile();

function signedIn(userId = `user-${randomUUID()}`, requestId?: string) {
  const token = stack.tokens.userToken({ sub: userId });
  const connection = stack.connect(stack.router, { authorization: `Bearer ${token}`, requestId });
  return { ...connection, token, userId };
}

/** Subscribes to a fresh order and waits until the tracking subgraph has the subscription. */
async function subscribed(
  client: TestClient['client'],
  { query = TRACKED, orderId = `order-${randomUUID()}` } = {},
) {
  const recording = record(client, { query, variables: { orderId } });
  await waitFor(() => stack.tracking.active(orderId) === 1, { what: 'the upstream subscription' });
  return { orderId, recording };
}

describe('subscriptions through the router', () => {
  it('relays events in order, each completed with fields of the other subgraph', async () => {
    const { client, userId } = signedIn();
    const { orderId, recording } = await subscribed(client);

    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    stack.tracking.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });
    stack.tracking.publish(orderId, { seq: 3, status: 'DELIVERED' });
    const results = await recording.waitForResults(3);

    expect(results.map((r) => r.data?.tracked)).toEqual(
      [1, 2, 3].map((seq) => ({
        seq,
        status: ['PICKED_UP', 'IN_TRANSIT', 'DELIVERED'][seq - 1],
        seenBy: userId,
        order: {
          id: orderId,
          customer: `Customer of ${orderId}`,
          seenBy: userId,
          requestId: expect.any(String),
        },
      })),
    );
    expect(results.every((r) => r.errors === undefined)).toBe(true);
  });

  it('keeps each subscription to its own variables', async () => {
    const { client } = signedIn();
    const first = await subscribed(client);
    const second = await subscribed(client);

    stack.tracking.publish(second.orderId, { seq: 1, status: 'LABEL_CREATED' });
    stack.tracking.publish(first.orderId, { seq: 7, status: 'OUT_FOR_DELIVERY' });

    const [fromSecond] = await second.recording.waitForResults(1);
    const [fromFirst] = await first.recording.waitForResults(1);
    expect(fromFirst?.data?.tracked).toMatchObject({ seq: 7, order: { id: first.orderId } });
    expect(fromSecond?.data?.tracked).toMatchObject({ seq: 1, order: { id: second.orderId } });
  });

  it("carries the client's token and request id with its upstream subscription and on every completion fetch", async () => {
    const { client, token } = signedIn(undefined, 'req-tracking-1');
    const { orderId, recording } = await subscribed(client);
    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    const [result] = await recording.waitForResults(1);

    const upstream = stack.tracking.subscriptions.find((s) => s.orderId === orderId)!;
    expect(upstream.extensions).toEqual({
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-tracking-1',
      'x-forwarded-for': '127.0.0.1',
    });
    // The shared socket itself names no one.
    expect(stack.tracking.connections[upstream.connection]?.connectionParams).toEqual({
      client: 'shop-router',
    });
    expect(stack.orders.requests.at(-1)).toMatchObject({
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-tracking-1',
    });
    expect(result?.data?.tracked).toMatchObject({ order: { requestId: 'req-tracking-1' } });
  });

  it('delivers an event whose completion partly failed, with the error next to the data', async () => {
    const { client } = signedIn();
    const query = `subscription ($orderId: ID!) {
      tracked(orderId: $orderId) { seq order { id customer total } }
    }`;
    const { orderId, recording } = await subscribed(client, { query, orderId: 'broken' });

    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    const [result] = await recording.waitForResults(1);

    expect(result?.data).toEqual({
      tracked: { seq: 1, order: { id: 'broken', customer: 'Customer of broken', total: null } },
    });
    expect(result?.errors).toEqual([
      expect.objectContaining({
        path: ['tracked', 'order', 'total'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain('database is unreachable');
  });

  it("passes on the subgraph's refusal of a subscription with its code, then completes", async () => {
    const { client } = signedIn();
    const recording = record(client, { query: TRACKED, variables: { orderId: 'forbidden-1' } });

    expect(await recording.ended).toEqual({ kind: 'complete' });
    expect(recording.results).toEqual([
      {
        data: null,
        errors: [
          expect.objectContaining({
            message: 'You may only follow the delivery of your own orders.',
            extensions: { code: 'FORBIDDEN' },
          }),
        ],
      },
    ]);
  });

  it('ends the upstream subscription when the client completes it', async () => {
    const { client } = signedIn();
    const { orderId, recording } = await subscribed(client);

    recording.unsubscribe();

    await waitFor(() => stack.tracking.ended(orderId) === 1, { what: 'the upstream end' });
    expect(stack.tracking.active(orderId)).toBe(0);
  });

  it('ends every upstream subscription of a client that disconnects, and only those', async () => {
    const { client } = signedIn();
    const first = await subscribed(client);
    const second = await subscribed(client);
    const other = signedIn();
    const staying = await subscribed(other.client);
    const socketsBefore = stack.tracking.connections.length;

    await client.dispose();

    await waitFor(
      () => stack.tracking.ended(first.orderId) === 1 && stack.tracking.ended(second.orderId) === 1,
      { what: 'both upstream ends' },
    );
    // The other client's subscription, on the same shared sockets, carries on.
    stack.tracking.publish(staying.orderId, { seq: 1, status: 'IN_TRANSIT' });
    expect((await staying.recording.waitForResults(1))[0]?.data?.tracked).toMatchObject({
      seq: 1,
      seenBy: other.userId,
    });
    expect(stack.tracking.active(staying.orderId)).toBe(1);
    expect(stack.tracking.connections.length).toBe(socketsBefore);
  });

  it("carries many clients over at most two upstream sockets, each event with its own client's identity", async () => {
    const orderId = `order-${randomUUID()}`;
    const subscribers = Array.from({ length: 6 }, () => signedIn());
    const recordings = subscribers.map(({ client }) =>
      record(client, { query: TRACKED, variables: { orderId } }),
    );
    await waitFor(() => stack.tracking.active(orderId) === 6, {
      what: 'six upstream subscriptions',
    });

    stack.tracking.publish(orderId, { seq: 1, status: 'OUT_FOR_DELIVERY' });

    for (const [i, recording] of recordings.entries()) {
      const [result] = await recording.waitForResults(1);
      const { userId } = subscribers[i]!;
      expect(result?.data?.tracked).toMatchObject({ seenBy: userId, order: { seenBy: userId } });
    }
    const sockets = new Set(
      stack.tracking.subscriptions.filter((s) => s.orderId === orderId).map((s) => s.connection),
    );
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('completes the client subscription when the subgraph completes it', async () => {
    const { client } = signedIn();
    const { orderId, recording } = await subscribed(client);
    stack.tracking.publish(orderId, { seq: 1, status: 'DELIVERED' });

    stack.tracking.finish(orderId);

    expect(await recording.ended).toEqual({ kind: 'complete' });
    expect(recording.results).toHaveLength(1);
  });

  it('serves HTTP queries as before while subscriptions are open', async () => {
    const { client, token, userId } = signedIn();
    const { orderId, recording } = await subscribed(client);

    const { status, body } = await stack.router.post(
      {
        query: 'query Order($id: ID!) { order(id: $id) { id customer seenBy } }',
        variables: { id: 'o-http' },
      },
      { authorization: `Bearer ${token}` },
    );
    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { order: { id: 'o-http', customer: 'Customer of o-http', seenBy: userId } },
    });
    await recording.waitForResults(1);
  });

  it('refuses queries and mutations over the socket, pointing to HTTP', async () => {
    const { client } = signedIn();
    const recording = record(client, { query: '{ order(id: "o1") { id } }' });

    expect(await recording.ended).toEqual({
      kind: 'error',
      errors: [
        expect.objectContaining({
          message: NOT_A_SUBSCRIPTION_MESSAGE,
          extensions: { code: 'BAD_REQUEST' },
        }),
      ],
    });
  });
});

describe('subscriptions per connection', () => {
  it('refuses one more than SUBSCRIPTIONS_PER_CONNECTION, and allows it after one ends', async () => {
    const router = await stack.startRouter({ SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const token = stack.tokens.userToken();
    const connection = stack.connect(router, { authorization: `Bearer ${token}` });
    const first = await subscribed(connection.client);
    await subscribed(connection.client);

    const third = record(connection.client, { query: TRACKED, variables: { orderId: 'o-3' } });
    expect(await third.ended).toEqual({
      kind: 'error',
      errors: [
        expect.objectContaining({
          message: expect.stringContaining('already has 2 subscriptions'),
          extensions: { code: 'BAD_REQUEST' },
        }),
      ],
    });
    expect(stack.tracking.active('o-3')).toBe(0);

    first.recording.unsubscribe();
    await waitFor(() => stack.tracking.ended(first.orderId) === 1, { what: 'the first to end' });
    await subscribed(connection.client);
  });
});
