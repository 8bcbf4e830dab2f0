import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { waitFor } from '@shop/test-harness';
import { UPSTREAM_LOST_MESSAGE } from '../src/subscriptions';
import { record, TRACKED } from './support/subscriptions';
import { subscriptionStackForFile } from './support/subscription-stack-for-file';

/** Events without fields of other subgraphs: the relay forwards them as fast as they come. */
const TRACKED_NOTES = `subscription ($orderId: ID!) { tracked(orderId: $orderId) { seq note } }`;
const MAX_BUFFERED_BYTES = 1024 * 1024;

const stack = subscriptionStackForFile({
  SUBSCRIPTION_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
});

async function subscribedClient(query = TRACKED) {
  const connection = stack.connect(stack.router, {
    authorization: `Bearer ${stack.tokens.userToken()}`,
  });
  const orderId = `order-${randomUUID()}`;
  const recording = record(connection.client, { query, variables: { orderId } });
  await waitFor(() => stack.tracking.active(orderId) === 1, { what: 'the upstream subscription' });
  return { ...connection, orderId, recording };
}

describe('a client that reads too slowly', () => {
  it('keeps a client that reads, even when events come in bursts under the limit', async () => {
    const { orderId, recording, socket } = await subscribedClient(TRACKED_NOTES);
    const note = 'x'.repeat(16 * 1024);

    // 20 × 16 KB: under the 1 MB limit even if none of it had left the router yet.
    for (let seq = 1; seq <= 20; seq++)
      stack.tracking.publish(orderId, { seq, status: 'IN_TRANSIT', note });

    const results = await recording.waitForResults(20);
    expect(results.map((r) => r.data?.tracked)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, note })),
    );
    expect(socket()?.readyState).toBe(WebSocket.OPEN);
    expect(stack.router.logs).not.toContainEqual(
      expect.objectContaining({ msg: 'client reads too slowly; closing its connection' }),
    );
  });

  it('is disconnected once more than SUBSCRIPTION_MAX_BUFFERED_BYTES wait for it, and its subscription ends upstream', async () => {
    const { orderId, recording, closed, socket } = await subscribedClient(TRACKED_NOTES);
    // Stops reading: the operating system's buffers fill, then the router's.
    socket()?.pause();
    const note = 'x'.repeat(64 * 1024);

    // Publishes until the router gives up on the client (bounded, in case it never does).
    let published = 0;
    while (stack.tracking.ended(orderId) === 0 && published < 3_000) {
      stack.tracking.publish(orderId, { seq: ++published, status: 'IN_TRANSIT', note });
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(stack.tracking.ended(orderId)).toBe(1);
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'client reads too slowly; closing its connection',
      }),
    );
    socket()?.resume();
    // Cut off without a close frame: the client sees an abnormal closure and reconnects.
    expect(await closed).toMatchObject({ code: 1006 });
    expect(recording.results.length).toBeLessThan(published);
  });
});

describe('keep-alive', () => {
  it('pings clients, keeps those that answer and cuts off one that stops answering', async () => {
    const pinging = await stack.startRouter({ SUBSCRIPTION_KEEPALIVE_MS: '200' });
    const protocol = 'graphql-transport-ws';
    const url = pinging.url.replace(/^http/, 'ws');
    const healthy = new WebSocket(url, protocol);
    // ws answers pings by itself unless told not to: this one plays a vanished client.
    const silent = new WebSocket(url, protocol, { autoPong: false });
    const sockets = [healthy, silent];
    const closedSilent = new Promise<number>((resolve) => silent.once('close', resolve));
    let healthyPings = 0;
    healthy.on('ping', () => healthyPings++);
    await Promise.all(sockets.map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    const token = stack.tokens.userToken();
    for (const ws of sockets) {
      ws.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      );
    }

    expect(await closedSilent).toBe(1006);
    await waitFor(() => healthyPings >= 3, { what: 'three pings to the healthy client' });
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    expect(pinging.logs).toContainEqual(
      expect.objectContaining({ msg: 'client missed a keep-alive pong' }),
    );
    healthy.close();
  });
});

describe('a subgraph that stops answering', () => {
  it('is dropped when it misses a keep-alive pong; its subscriptions move to a fresh socket and go on', async () => {
    const pinging = await stack.startRouter({ SUBSCRIPTION_KEEPALIVE_MS: '200' });
    const connection = stack.connect(pinging, {
      authorization: `Bearer ${stack.tokens.userToken()}`,
    });
    const orderId = `order-${randomUUID()}`;
    const recording = record(connection.client, { query: TRACKED, variables: { orderId } });
    await waitFor(() => stack.tracking.active(orderId) === 1, {
      what: 'the upstream subscription',
    });

    // The frozen sockets answer nothing; a fresh one is served (another replica would be).
    stack.tracking.freeze(true);
    try {
      await waitFor(
        () => stack.tracking.subscriptions.filter((s) => s.orderId === orderId).length === 2,
        { what: 'the subscription placed again on a fresh socket' },
      );
      stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });
      await recording.waitForResults(1);
    } finally {
      stack.tracking.freeze(false);
    }
    expect(recording.results).toEqual([
      { data: { tracked: expect.objectContaining({ seq: 1, status: 'IN_TRANSIT' }) } },
    ]);
    expect(pinging.logs).toContainEqual(
      expect.objectContaining({
        subgraph: 'tracking',
        msg: 'subgraph missed a keep-alive pong; dropping the upstream socket',
      }),
    );
  });
});

// Last: the tracking subgraph does not come back.
describe('a subgraph that goes away', () => {
  it('ends each of its subscriptions with an error result, then complete, once no replica answered in time', async () => {
    const first = await subscribedClient();
    const second = await subscribedClient();
    stack.tracking.publish(first.orderId, { seq: 1, status: 'PICKED_UP' });
    await first.recording.waitForResults(1);

    await stack.tracking.kill();

    for (const { recording } of [first, second]) {
      expect(await recording.ended).toEqual({ kind: 'complete' });
      expect(recording.results.at(-1)).toEqual({
        errors: [{ message: UPSTREAM_LOST_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
    }
    expect(first.recording.results).toHaveLength(2);
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        subgraph: 'tracking',
        msg: 'upstream subscription lost',
      }),
    );
  });
});
