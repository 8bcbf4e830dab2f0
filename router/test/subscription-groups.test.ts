import { randomUUID } from 'node:crypto';
import { CloseCode } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from '@shop/test-harness';
import { RouterCloseReason } from '../src/subscriptions';
import { record, TRACKED } from './support/subscriptions';
import { subscriptionStackForFile } from './support/subscription-stack-for-file';

const stack = subscriptionStackForFile();
afterEach(async () => {
  await waitFor(() => groups().members === 0, { what: 'every member to leave' });
});

function groups() {
  return stack.router.subscriptions!.groups();
}

/** A client app of `token`'s holder, subscribed to `orderId`. */
function follow(token: string, orderId: string, query = TRACKED) {
  const connection = stack.connect(stack.router, { authorization: `Bearer ${token}` });
  const recording = record(connection.client, { query, variables: { orderId } });
  return { ...connection, recording, token };
}

/**
 * Waits until the router holds `members` client subscriptions in `count` groups, and the
 * tracking subgraph one subscription to `orderId` per group.
 */
async function grouped(orderId: string, count: number, members: number) {
  await waitFor(
    () => {
      const now = groups();
      return (
        now.groups === count && now.members === members && stack.tracking.active(orderId) === count
      );
    },
    { what: `${members} subscriptions in ${count} groups` },
  );
}

/** Tokens of one customer that differ only in when they expire, as refreshed tokens do. */
function tokensOf(userId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    stack.tokens.userToken({ sub: userId }, { expiresIn: 600 + i }),
  );
}

describe('subscriptions of one identity to one order', () => {
  it('share one upstream subscription and one resolution per event, each client receiving every event in order', async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const apps = tokensOf(userId, 3).map((token) => follow(token, orderId));
    await grouped(orderId, 1, 3);
    const fetchesBefore = stack.orders.requests.length;

    for (const seq of [1, 2, 3]) stack.tracking.publish(orderId, { seq, status: `STEP_${seq}` });

    const received = await Promise.all(apps.map((app) => app.recording.waitForResults(3)));
    const expected = [1, 2, 3].map((seq) => ({
      data: {
        tracked: {
          seq,
          status: `STEP_${seq}`,
          seenBy: userId,
          order: {
            id: orderId,
            customer: `Customer of ${orderId}`,
            seenBy: userId,
            requestId: expect.any(String),
          },
        },
      },
    }));
    for (const results of received) expect(results).toEqual(expected);
    // One `_entities` call to orders per event, not one per client.
    expect(stack.orders.requests.length - fetchesBefore).toBe(3);
  });

  it('each subscription of one connection to the same order gets its own results', async () => {
    const orderId = `order-${randomUUID()}`;
    const app = follow(stack.tokens.userToken(), orderId);
    const second = record(app.client, { query: TRACKED, variables: { orderId } });
    await grouped(orderId, 1, 2);

    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    await app.recording.waitForResults(1);
    await second.waitForResults(1);
    second.unsubscribe();
    await grouped(orderId, 1, 1);
    stack.tracking.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });

    expect((await app.recording.waitForResults(2)).map((r) => r.data?.tracked)).toMatchObject([
      { seq: 1 },
      { seq: 2 },
    ]);
    expect(second.results).toHaveLength(1);
    expect(stack.tracking.ended(orderId)).toBe(0);
  });
});

describe('groups never cross identities', () => {
  it('two customers following one order each have their own group, payloads and token upstream', async () => {
    const orderId = `order-${randomUUID()}`;
    const ada = follow(stack.tokens.userToken({ sub: 'user-ada' }), orderId);
    const bob = follow(stack.tokens.userToken({ sub: 'user-bob' }), orderId);
    await grouped(orderId, 2, 2);

    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });

    const [adas] = await ada.recording.waitForResults(1);
    const [bobs] = await bob.recording.waitForResults(1);
    expect(adas?.data?.tracked).toMatchObject({
      seenBy: 'user-ada',
      order: { seenBy: 'user-ada' },
    });
    expect(bobs?.data?.tracked).toMatchObject({
      seenBy: 'user-bob',
      order: { seenBy: 'user-bob' },
    });
    const upstream = stack.tracking.subscriptions.filter((s) => s.orderId === orderId);
    expect(upstream.map((s) => s.extensions?.authorization).sort()).toEqual(
      [`Bearer ${ada.token}`, `Bearer ${bob.token}`].sort(),
    );
  });

  it("a customer refused someone else's order gets the refusal, and the owner's subscription carries on", async () => {
    const orderId = 'private-user-owner';
    const owner = follow(stack.tokens.userToken({ sub: 'user-owner' }), orderId);
    await grouped(orderId, 1, 1);
    const stranger = follow(stack.tokens.userToken({ sub: 'user-stranger' }), orderId);

    expect(await stranger.recording.ended).toEqual({ kind: 'complete' });
    expect(stranger.recording.results).toEqual([
      { data: null, errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] },
    ]);
    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });
    const [result] = await owner.recording.waitForResults(1);
    expect(result?.data?.tracked).toMatchObject({ seq: 1, seenBy: 'user-owner' });
    expect(stranger.recording.results).toHaveLength(1);
  });

  it('a customer and an admin of the same subject do not share a group', async () => {
    const orderId = `order-${randomUUID()}`;
    const customer = follow(stack.tokens.userToken({ sub: 'user-both' }), orderId);
    const admin = follow(stack.tokens.userToken({ sub: 'user-both', roles: ['ADMIN'] }), orderId);
    await grouped(orderId, 2, 2);

    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });
    await customer.recording.waitForResults(1);
    await admin.recording.waitForResults(1);

    expect(stack.tracking.active(orderId)).toBe(2);
    const upstream = stack.tracking.subscriptions.filter((s) => s.orderId === orderId);
    expect(upstream.map((s) => s.extensions?.authorization).sort()).toEqual(
      [`Bearer ${customer.token}`, `Bearer ${admin.token}`].sort(),
    );
  });
});

describe('joining and leaving a group', () => {
  it('a member who joins later receives the events after it joined; one who leaves ends nothing else; the last one out ends upstream', async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const [firstToken, laterToken] = tokensOf(userId, 2);
    const first = follow(firstToken!, orderId);
    await grouped(orderId, 1, 1);
    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    await first.recording.waitForResults(1);

    const later = follow(laterToken!, orderId);
    await grouped(orderId, 1, 2);
    stack.tracking.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });
    expect((await later.recording.waitForResults(1))[0]?.data?.tracked).toMatchObject({ seq: 2 });
    await first.recording.waitForResults(2);

    first.recording.unsubscribe();
    await grouped(orderId, 1, 1);
    expect(stack.tracking.ended(orderId)).toBe(0);
    stack.tracking.publish(orderId, { seq: 3, status: 'OUT_FOR_DELIVERY' });
    expect((await later.recording.waitForResults(2))[1]?.data?.tracked).toMatchObject({ seq: 3 });

    later.recording.unsubscribe();
    await waitFor(() => stack.tracking.ended(orderId) === 1, { what: 'the upstream end' });
    expect(groups()).toEqual({ groups: 0, members: 0 });
  });

  it("when the first member leaves, the next member's token carries the group's requests", async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const [firstToken, secondToken] = tokensOf(userId, 2);
    const first = follow(firstToken!, orderId);
    await grouped(orderId, 1, 1);
    const second = follow(secondToken!, orderId);
    await grouped(orderId, 1, 2);

    await first.client.dispose();
    await grouped(orderId, 1, 1);
    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });

    expect((await second.recording.waitForResults(1))[0]?.data?.tracked).toMatchObject({
      seq: 1,
      order: { seenBy: userId },
    });
    expect(stack.orders.requests.at(-1)?.authorization).toBe(`Bearer ${secondToken}`);
    expect(stack.tracking.active(orderId)).toBe(1);
  });

  it('a token that expires closes only its own connection (4403); the group carries on for the others', async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    // jwt `exp` has whole seconds: this token expires within two.
    const expiring = follow(stack.tokens.userToken({ sub: userId }, { expiresIn: 2 }), orderId);
    await grouped(orderId, 1, 1);
    const lasting = follow(stack.tokens.userToken({ sub: userId }), orderId);
    await grouped(orderId, 1, 2);

    expect(await expiring.closed).toEqual({
      code: CloseCode.Forbidden,
      reason: RouterCloseReason.TOKEN_EXPIRED,
    });
    await grouped(orderId, 1, 1);
    stack.tracking.publish(orderId, { seq: 1, status: 'IN_TRANSIT' });

    expect((await lasting.recording.waitForResults(1))[0]?.data?.tracked).toMatchObject({
      seq: 1,
    });
    expect(lasting.socket()?.readyState).toBe(WebSocket.OPEN);
    expect(stack.tracking.ended(orderId)).toBe(0);
    expect(stack.tracking.active(orderId)).toBe(1);
  });

  it('a member that reads too slowly is cut off alone; the others receive every event', async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const notes = 'subscription ($orderId: ID!) { tracked(orderId: $orderId) { seq note } }';
    const [slowToken, readerToken] = tokensOf(userId, 2);
    const slow = follow(slowToken!, orderId, notes);
    const reader = follow(readerToken!, orderId, notes);
    await grouped(orderId, 1, 2);
    slow.socket()?.pause();
    const note = 'x'.repeat(64 * 1024);

    // Publishes until the router gives up on the slow client (bounded, in case it never does).
    let published = 0;
    while (groups().members === 2 && published < 3_000) {
      stack.tracking.publish(orderId, { seq: ++published, status: 'IN_TRANSIT', note });
      await new Promise((resolve) => setImmediate(resolve));
    }
    stack.tracking.publish(orderId, { seq: ++published, status: 'DELIVERED', note });

    const results = await reader.recording.waitForResults(published);
    expect(results.map((r) => (r.data?.tracked as { seq?: number } | undefined)?.seq)).toEqual(
      Array.from({ length: published }, (_, i) => i + 1),
    );
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({ msg: 'client reads too slowly; closing its connection' }),
    );
    slow.socket()?.resume();
    expect(await slow.closed).toMatchObject({ code: 1006 });
    expect(stack.tracking.ended(orderId)).toBe(0);
  });

  it('when the subgraph completes the subscription, every member completes; the next subscriber starts a new group', async () => {
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const [firstToken, secondToken, laterToken] = tokensOf(userId, 3);
    const members = [follow(firstToken!, orderId), follow(secondToken!, orderId)];
    await grouped(orderId, 1, 2);
    stack.tracking.publish(orderId, { seq: 1, status: 'DELIVERED' });

    stack.tracking.finish(orderId);

    for (const { recording } of members) {
      expect(await recording.ended).toEqual({ kind: 'complete' });
      expect(recording.results.map((r) => r.data?.tracked)).toMatchObject([{ seq: 1 }]);
    }
    const later = follow(laterToken!, orderId);
    await grouped(orderId, 1, 1);
    stack.tracking.publish(orderId, { seq: 2, status: 'RETURNED' });
    expect((await later.recording.waitForResults(1))[0]?.data?.tracked).toMatchObject({ seq: 2 });
    expect(stack.tracking.subscriptions.filter((s) => s.orderId === orderId)).toHaveLength(2);
  });

  it('delivers an event whose resolution partly failed to every member, the error next to the data', async () => {
    const userId = `user-${randomUUID()}`;
    const query = `subscription ($orderId: ID!) {
      tracked(orderId: $orderId) { seq order { id customer total } }
    }`;
    const apps = tokensOf(userId, 2).map((token) => follow(token, 'broken', query));
    await grouped('broken', 1, 2);

    stack.tracking.publish('broken', { seq: 1, status: 'PICKED_UP' });

    for (const app of apps) {
      const [result] = await app.recording.waitForResults(1);
      expect(result).toEqual({
        data: {
          tracked: { seq: 1, order: { id: 'broken', customer: 'Customer of broken', total: null } },
        },
        errors: [
          expect.objectContaining({
            path: ['tracked', 'order', 'total'],
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          }),
        ],
      });
    }
  });
});

describe('a member joining a group whose subscriptions open with a snapshot', () => {
  // The tracking subgraph sends no snapshot: the group's first message stands for it, and a
  // catch-up's first message is the next event.
  const open = async () => {
    const router = await stack.startRouter({ SUBSCRIPTION_SNAPSHOT_FIELDS: 'tracked' });
    const userId = `user-${randomUUID()}`;
    const orderId = `order-${randomUUID()}`;
    const subscribe = (token: string) => {
      const connection = stack.connect(router, { authorization: `Bearer ${token}` });
      return record(connection.client, { query: TRACKED, variables: { orderId } });
    };
    const seqs = (results: { data?: Record<string, unknown> | null }[]) =>
      results.map((r) => (r.data?.tracked as { seq: number }).seq);
    return { router, orderId, tokens: tokensOf(userId, 2), subscribe, seqs };
  };

  it('after the group’s first message: gets the first message of an upstream subscription of its own, then the group’s events, each once', async () => {
    const { router, orderId, tokens, subscribe, seqs } = await open();
    const first = subscribe(tokens[0]!);
    await waitFor(() => stack.tracking.active(orderId) === 1, { what: 'the group upstream' });
    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    await first.waitForResults(1);

    const later = subscribe(tokens[1]!);
    await waitFor(() => stack.tracking.active(orderId) === 2, { what: 'the catch-up upstream' });
    stack.tracking.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });
    await waitFor(() => stack.tracking.active(orderId) === 1, { what: 'the catch-up to end' });
    stack.tracking.publish(orderId, { seq: 3, status: 'IN_TRANSIT' });

    expect(seqs(await first.waitForResults(3))).toEqual([1, 2, 3]);
    // Step 2 came as the catch-up's first message and as the group's: delivered once.
    expect(seqs(await later.waitForResults(2))).toEqual([2, 3]);
    expect(router.subscriptions!.groups()).toEqual({ groups: 1, members: 2 });
  });

  it('before the group’s first message: gets that message with the others, once, and no catch-up', async () => {
    const { router, orderId, tokens, subscribe, seqs } = await open();
    const first = subscribe(tokens[0]!);
    await waitFor(() => stack.tracking.active(orderId) === 1, { what: 'the group upstream' });
    const later = subscribe(tokens[1]!);
    await waitFor(() => router.subscriptions!.groups().members === 2, { what: 'both members' });
    // A catch-up would have a subscription of its own, and end it after its first message.
    expect(stack.tracking.active(orderId)).toBe(1);

    stack.tracking.publish(orderId, { seq: 1, status: 'PICKED_UP' });
    stack.tracking.publish(orderId, { seq: 2, status: 'IN_TRANSIT' });
    expect(seqs(await first.waitForResults(2))).toEqual([1, 2]);
    expect(seqs(await later.waitForResults(2))).toEqual([1, 2]);
    expect(stack.tracking.ended(orderId)).toBe(0);
  });
});
