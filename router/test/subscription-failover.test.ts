import { randomUUID } from 'node:crypto';
import type { Sink } from 'graphql-ws';
import { createLogger } from '@shop/logging';
import {
  startTcpProxy,
  startTokenIssuer,
  waitFor,
  type TcpProxy,
  type TokenIssuer,
} from '@shop/test-harness';
import {
  UpstreamPool,
  type UpstreamCaller,
  type UpstreamEvent,
} from '../src/subscriptions/upstream';
import { startTrackingSubgraph, type TrackingSubgraph } from './support/tracking';

// A subgraph with two replicas behind one address: a TCP proxy plays the Service in front
// of them. Each test starts its own replicas, as it kills them.
const TRACKED_UPSTREAM = `subscription ($orderId: ID!) { tracked(orderId: $orderId) { seq seenBy } }`;

let tokens: TokenIssuer;
let replicas: TrackingSubgraph[] = [];
let service: TcpProxy;
const pools: UpstreamPool[] = [];
beforeAll(async () => {
  tokens = await startTokenIssuer();
});
beforeEach(async () => {
  replicas = [await startTrackingSubgraph(tokens), await startTrackingSubgraph(tokens)];
  service = await startTcpProxy(addressOf(replicas[0]!));
});
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  await service.close();
  for (const replica of replicas) await replica.stop();
});
afterAll(() => tokens.stop());

function addressOf(replica: TrackingSubgraph): { host: string; port: number } {
  const url = new URL(replica.url);
  return { host: url.hostname, port: Number(url.port) };
}

/** A pool whose tracking subgraph is the Service address. */
function pool(options: { sockets?: number; failoverMs?: number } = {}): UpstreamPool {
  const created = new UpstreamPool({
    routingUrls: new Map([['tracking', `http://127.0.0.1:${service.port}/graphql`]]),
    socketsPerSubgraph: options.sockets ?? 2,
    keepAliveMs: 12_000,
    failoverMs: options.failoverMs ?? 10_000,
    log: createLogger('test-upstream', 'silent'),
  });
  pools.push(created);
  return created;
}

interface Heard {
  caller: UpstreamCaller;
  events: UpstreamEvent[];
  errors: unknown[];
  completed: boolean;
  stop: () => void;
}

function subscribeAs(upstream: UpstreamPool, userId: string, orderId: string): Heard {
  const heard: Heard = {
    caller: {
      authorization: `Bearer ${tokens.userToken({ sub: userId })}`,
      requestId: `req-${randomUUID()}`,
      clientIp: '203.0.113.7',
    },
    events: [],
    errors: [],
    completed: false,
    stop: () => undefined,
  };
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
    heard.caller,
    sink,
  );
  return heard;
}

const seqs = (heard: Heard) =>
  heard.events.map((e) => (e.data?.tracked as { seq: number } | undefined)?.seq);

describe('an upstream replica that goes away', () => {
  it("moves each of its subscriptions to the other replica behind the same address: no error, no end, every later event, each with its caller's token", async () => {
    const upstream = pool();
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const users = Array.from({ length: 6 }, (_, i) => `user-${i}-${randomUUID()}`);
    const heard = users.map((user) => subscribeAs(upstream, user, orderId));
    await waitFor(() => first.active(orderId) === 6, { what: 'six subscriptions on the first' });
    first.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    await waitFor(() => heard.every((h) => h.events.length === 1), { what: 'the first event' });

    // A deploy: the first replica dies, the Service leads to the second from then on.
    await first.kill();
    service.retarget(addressOf(second));
    await waitFor(() => second.active(orderId) === 6, { what: 'six subscriptions moved' });
    second.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });
    second.publish(orderId, { seq: 3, status: 'DELIVERED' });
    await waitFor(() => heard.every((h) => h.events.length === 3), { what: 'the later events' });

    heard.forEach((h, i) => {
      expect(h.errors).toEqual([]);
      expect(h.completed).toBe(false);
      expect(seqs(h)).toEqual([1, 2, 3]);
      // Verified by the second replica with that caller's own token.
      expect(h.events.at(-1)?.data?.tracked).toEqual({ seq: 3, seenBy: users[i] });
    });
    expect(upstream.waitingForFailover()).toEqual({ tracking: 0 });
    for (const h of heard) h.stop();
    await waitFor(() => second.active(orderId) === 0, { what: 'all ended on the second' });
  });

  it('comes back one socket at a time: a lost pair of sockets is replaced by one, then the rest follow', async () => {
    const upstream = pool({ sockets: 2 });
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const heard = Array.from({ length: 250 }, (_, i) => subscribeAs(upstream, `u${i}`, orderId));
    await waitFor(() => first.active(orderId) === 250, { what: 'all on the first' });
    expect(first.openSockets()).toBe(2);

    await first.kill();
    service.retarget(addressOf(second));
    await waitFor(() => second.active(orderId) === 250, { what: 'all moved' });

    // One fresh socket took them all: the router knocked with one socket, not 250 or 2.
    expect(second.connections).toHaveLength(1);
    expect(new Set(second.subscriptions.map((s) => s.connection))).toEqual(new Set([0]));
    expect(upstream.stats()).toEqual({ tracking: [250] });
    expect(heard.every((h) => h.errors.length === 0 && !h.completed)).toBe(true);
    for (const h of heard) h.stop();
  });

  it("subscribes again with the caller's token and request id as they are at that time", async () => {
    const upstream = pool({ sockets: 1 });
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const user = `user-${randomUUID()}`;
    const heard = subscribeAs(upstream, user, orderId);
    await waitFor(() => first.active(orderId) === 1, { what: 'the subscription' });

    // The client reconnected with a fresh token meanwhile (its group's caller reads it).
    const fresh = `Bearer ${tokens.userToken({ sub: user })}`;
    heard.caller.authorization = fresh;
    heard.caller.requestId = 'req-after-refresh';
    await first.kill();
    service.retarget(addressOf(second));
    await waitFor(() => second.active(orderId) === 1, { what: 'moved' });

    expect(second.subscriptions[0]?.extensions).toMatchObject({
      authorization: fresh,
      'x-request-id': 'req-after-refresh',
    });
    heard.stop();
  });

  it('tells the loss (the close event, then nothing more) only when no replica answered within failoverMs', async () => {
    const upstream = pool({ failoverMs: 500 });
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const heard = [
      subscribeAs(upstream, 'user-1', orderId),
      subscribeAs(upstream, 'user-2', orderId),
    ];
    await waitFor(() => first.active(orderId) === 2, { what: 'two subscriptions' });

    // Both replicas gone: the address leads nowhere.
    await second.stop();
    service.retarget(addressOf(second));
    await first.kill();
    await waitFor(() => heard.every((h) => h.errors.length === 1), { what: 'the loss told' });

    for (const h of heard) {
      expect(h.errors[0]).toMatchObject({ code: expect.any(Number) });
      expect(h.events).toEqual([]);
      expect(h.completed).toBe(false);
    }
    expect(upstream.waitingForFailover()).toEqual({ tracking: 0 });
  });

  it('tells the loss in time even when a replica accepts every socket and drops it again', async () => {
    const upstream = pool({ sockets: 1, failoverMs: 500 });
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const heard = subscribeAs(upstream, 'user-1', orderId);
    await waitFor(() => first.active(orderId) === 1, { what: 'the subscription' });

    // A replica stuck half way: it acknowledges each socket, then cuts it.
    const cutter = setInterval(() => {
      second.connections.forEach((_, index) => second.dropConnection(index));
    }, 20);
    try {
      await first.kill();
      service.retarget(addressOf(second));
      await waitFor(() => heard.errors.length === 1, { what: 'the loss told' });
    } finally {
      clearInterval(cutter);
    }
    expect(second.connections.length).toBeGreaterThan(0);
    expect(heard.events).toEqual([]);
    expect(upstream.waitingForFailover()).toEqual({ tracking: 0 });
  });

  it('a subscription its client ends while it waits for a replica is not subscribed again', async () => {
    const upstream = pool({ sockets: 1 });
    const [first, second] = replicas as [TrackingSubgraph, TrackingSubgraph];
    const orderId = `order-${randomUUID()}`;
    const staying = subscribeAs(upstream, 'user-1', orderId);
    const leaving = subscribeAs(upstream, 'user-2', orderId);
    await waitFor(() => first.active(orderId) === 2, { what: 'two subscriptions' });

    await first.kill();
    await waitFor(() => upstream.waitingForFailover().tracking === 2, { what: 'both waiting' });
    leaving.stop();
    service.retarget(addressOf(second));
    await waitFor(() => second.active(orderId) === 1, { what: 'the one staying moved' });

    expect(upstream.waitingForFailover()).toEqual({ tracking: 0 });
    expect(second.subscriptions.map((s) => s.extensions?.['x-request-id'])).toEqual([
      staying.caller.requestId,
    ]);
    expect(leaving.errors).toEqual([]);
    staying.stop();
  });
});
