import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/test-harness';
import {
  connect,
  record,
  startSubscriptionStack,
  TRACKED,
  type SubscriptionStack,
  type TestClient,
} from './support/subscriptions';

let stack: SubscriptionStack;
const clients: TestClient[] = [];
beforeAll(async () => {
  stack = await startSubscriptionStack();
});
afterEach(async () => {
  for (const { client } of clients.splice(0)) await client.dispose();
});
afterAll(() => stack.stop());

function signedIn(userId = `user-${randomUUID()}`, requestId?: string) {
  const token = stack.tokens.userToken({ sub: userId });
  const connection = connect(stack.router, { authorization: `Bearer ${token}`, requestId });
  clients.push(connection);
  return { ...connection, token, userId };
}

/** Subscribes to a fresh order and waits until the tracking subgraph has the subscription. */
async function subscribed(client: TestClient['client'], query = TRACKED) {
  const orderId = `order-${randomUUID()}`;
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
});
