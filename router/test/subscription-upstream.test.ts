import { randomUUID } from 'node:crypto';
import type { Sink } from 'graphql-ws';
import { createLogger } from '@shop/logging';
import { startTokenIssuer, waitFor, type TokenIssuer } from '@shop/test-harness';
import { UpstreamPool, type UpstreamEvent } from '../src/subscriptions/upstream';
import { startTrackingSubgraph, type TrackingSubgraph } from './support/tracking';

/** The subscription as the router sends it to the tracking subgraph. */
const TRACKED_UPSTREAM = `subscription ($orderId: ID!) { tracked(orderId: $orderId) { seq seenBy } }`;

let tokens: TokenIssuer;
let tracking: TrackingSubgraph;
const pools: UpstreamPool[] = [];
beforeAll(async () => {
  tokens = await startTokenIssuer();
  tracking = await startTrackingSubgraph(tokens);
});
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});
afterAll(async () => {
  await tracking.stop();
  await tokens.stop();
});

function pool(socketsPerSubgraph: number, failoverMs?: number): UpstreamPool {
  const created = new UpstreamPool({
    routingUrls: new Map([['tracking', tracking.url]]),
    socketsPerSubgraph,
    keepAliveMs: 12_000,
    failoverMs,
    log: createLogger('test-upstream', 'silent'),
  });
  pools.push(created);
  return created;
}

interface Heard {
  events: UpstreamEvent[];
  errors: unknown[];
  completed: boolean;
  stop: () => void;
}

/** Subscribes `userId` (by a token of theirs) to `orderId` through the pool. */
function subscribeAs(upstream: UpstreamPool, userId: string, orderId: string): Heard {
  const heard: Heard = { events: [], errors: [], completed: false, stop: () => undefined };
  const sink: Sink<UpstreamEvent> = {
    next: (event) => heard.events.push(event),
    error: (error) => heard.errors.push(error),
    complete: () => {
      heard.completed = true;
    },
  };
  heard.stop = upstream.subscribe(
    'tracking',
    { query: TRACKED_UPSTREAM, variables: { orderId } },
    {
      authorization: `Bearer ${tokens.userToken({ sub: userId })}`,
      requestId: `req-${userId}`,
      clientIp: '203.0.113.7',
    },
    sink,
  );
  return heard;
}

describe('the upstream pool', () => {
  it("judges each caller on one shared socket by its own token: the owner's stream, a stranger's FORBIDDEN", async () => {
    const upstream = pool(1);
    const owner = `user-${randomUUID()}`;
    const orderId = `private-${owner}`;
    const socketsBefore = tracking.connections.length;

    const ownerHeard = subscribeAs(upstream, owner, orderId);
    await waitFor(() => tracking.active(orderId) === 1, { what: "the owner's subscription" });
    const strangerHeard = subscribeAs(upstream, `user-${randomUUID()}`, orderId);
    await waitFor(() => strangerHeard.completed, { what: "the stranger's refusal" });

    expect(strangerHeard.events).toEqual([
      { errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] },
    ]);
    tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    await waitFor(() => ownerHeard.events.length === 1, { what: "the owner's event" });
    expect(ownerHeard.events[0]?.data).toEqual({ tracked: { seq: 1, seenBy: owner } });
    expect(ownerHeard.errors).toEqual([]);
    // Both came over one socket, whose connection_init named no one.
    expect(tracking.connections.length).toBe(socketsBefore + 1);
    expect(tracking.connections.at(-1)?.connectionParams).toEqual({ client: 'shop-router' });
    expect(upstream.stats()).toEqual({ tracking: [1] });
    ownerHeard.stop();
  });

  it('opens sockets lazily, up to the limit, and puts each subscription on the least loaded', async () => {
    const upstream = pool(2);
    expect(upstream.stats()).toEqual({});
    const socketsBefore = tracking.connections.length;
    const orderId = `order-${randomUUID()}`;

    const heard = Array.from({ length: 5 }, () => subscribeAs(upstream, 'user-1', orderId));
    await waitFor(() => tracking.active(orderId) === 5, { what: 'five subscriptions' });

    expect(tracking.connections.length).toBe(socketsBefore + 2);
    expect(upstream.stats()).toEqual({ tracking: [3, 2] });
    heard[0]!.stop();
    heard[2]!.stop();
    await waitFor(() => tracking.active(orderId) === 3, { what: 'two ended' });
    expect(upstream.stats()).toEqual({ tracking: [1, 2] });
    for (const h of heard) h.stop();
  });

  // With failover (subscription-failover.test.ts), a lost socket's subscriptions move instead.
  it('without failover, a lost socket errors only its own subscriptions; the next one gets a fresh socket', async () => {
    const upstream = pool(2, 0);
    const orderId = `order-${randomUUID()}`;
    const first = subscribeAs(upstream, 'user-1', orderId);
    const second = subscribeAs(upstream, 'user-2', orderId);
    await waitFor(() => tracking.active(orderId) === 2, { what: 'two subscriptions' });
    const onSocket = (userId: string) =>
      tracking.subscriptions.findLast((s) => s.extensions?.['x-request-id'] === `req-${userId}`)!
        .connection;
    expect(onSocket('user-1')).not.toBe(onSocket('user-2'));

    tracking.dropConnection(onSocket('user-1'));
    await waitFor(() => first.errors.length === 1, { what: "the first's error" });

    expect(first.errors[0]).toMatchObject({ code: 1006 });
    await waitFor(() => tracking.active(orderId) === 1, { what: 'the lost one ended upstream' });
    tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });
    await waitFor(() => second.events.length === 1, { what: "the second's event" });
    expect(second.errors).toEqual([]);

    const socketsBefore = tracking.connections.length;
    const third = subscribeAs(upstream, 'user-3', orderId);
    await waitFor(() => tracking.active(orderId) === 2, { what: 'the third subscription' });
    expect(tracking.connections.length).toBe(socketsBefore + 1);
    tracking.publish(orderId, { seq: 2, status: 'DELIVERED' });
    await waitFor(() => third.events.length === 1, { what: "the third's event" });
    second.stop();
    third.stop();
  });
});
