import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import pg from 'pg';
import { Role } from '@shop/auth';
import { fixtureForFile, TEST_REDIS_URL, waitFor, type GraphQLResponse } from '@shop/test-harness';
import { sign, startDeliveryStack, type DeliveryStack } from './support/stack';

/** What a courier's app asks back: enough to know the step was recorded. */
const RECORD = `mutation Record($shipmentId: ID!, $input: TrackingEventInput!) {
  recordTrackingEvent(shipmentId: $shipmentId, input: $input) { id status }
}`;

interface Seeded {
  id: string;
  orderId: string;
  trackingNumber: string;
}

/** Shipments in `status` with labels, written directly: bursts need hundreds of them. */
async function seed(stack: DeliveryStack, count: number, status: string): Promise<Seeded[]> {
  return stack.sql<Seeded>(
    `INSERT INTO shipments (id, order_id, user_id, status, carrier, tracking_number, updated_at)
     SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $2::"DeliveryStatus",
            'test', 'TW' || replace(gen_random_uuid()::text, '-', ''), now()
     FROM generate_series(1, $1::int)
     RETURNING id::text AS id, order_id::text AS "orderId", tracking_number AS "trackingNumber"`,
    [count, status],
  );
}

/** Every message published on the stack's tracking channels, by order id, in arrival order. */
async function listen(stack: DeliveryStack) {
  const redis = new IORedis(TEST_REDIS_URL);
  const received = new Map<string, { status: string; note: string | null }[]>();
  redis.on('pmessage', (_pattern: string, channel: string, message: string) => {
    const orderId = channel.slice(channel.lastIndexOf(':') + 1);
    const { event } = JSON.parse(message) as { event: { status: string; note: string | null } };
    received.set(orderId, [...(received.get(orderId) ?? []), event]);
  });
  await redis.psubscribe(`${stack.config.PUBSUB_CHANNEL_PREFIX}:order:*`);
  return { received, close: () => redis.disconnect() };
}

function webhookBody(shipment: Seeded, status = 'IN_TRANSIT', id: string = randomUUID()) {
  return JSON.stringify({
    id,
    trackingNumber: shipment.trackingNumber,
    status,
    location: 'Hub',
    occurredAt: new Date().toISOString(),
  });
}

async function postWebhook(stack: DeliveryStack, body: string) {
  const response = await fetch(stack.service.url.replace(/\/graphql$/, '/webhooks/carrier'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-carrier-signature': sign(body) },
    body,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { outcome?: string },
  };
}

type Answer = GraphQLResponse<Record<string, any>>;
const isRefusal = (res: Answer) =>
  !res.data?.recordTrackingEvent &&
  res.errors?.length === 1 &&
  res.errors[0]!.extensions?.code === 'SERVICE_UNAVAILABLE' &&
  res.errors[0]!.extensions?.retryable === true;
const isAccepted = (res: Answer) => !res.errors && res.data?.recordTrackingEvent?.id;

const eventsOf = (stack: DeliveryStack, shipmentId: string) =>
  stack.sql<{ status: string; note: string | null; external_event_id: string | null }>(
    'SELECT status, note, external_event_id FROM tracking_events WHERE shipment_id = $1 ORDER BY sequence',
    [shipmentId],
  );
const outboxCount = async (stack: DeliveryStack, shipmentIds: string[]) =>
  (
    await stack.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE payload->>'shipmentId' = ANY($1::text[])`,
      [shipmentIds],
    )
  )[0]!.n;

/** Starts a delivery stack for the enclosing describe block (small pools, no relay). */
function useStack(env: Record<string, string>) {
  return fixtureForFile(() =>
    startDeliveryStack({
      DELIVERY_DATABASE_POOL_SIZE: '2',
      OUTBOX_RELAY_ENABLED: 'false',
      ...env,
    }),
  );
}

/** Another session takes the shipment's row lock and keeps it until COMMIT or ROLLBACK. */
async function holdRow(stack: DeliveryStack, shipmentId: string): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: stack.fixture.db.url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM shipments WHERE id = $1 FOR UPDATE', [shipmentId]);
  return holder;
}

/** A courier's IN_TRANSIT scan of the shipment. */
function scan(stack: DeliveryStack, shipment: Seeded) {
  const courier = stack.issuer.userToken({ roles: [Role.COURIER] });
  return stack.call(RECORD, { shipmentId: shipment.id, input: { status: 'IN_TRANSIT' } }, courier);
}

describe('a burst of tracking events on a small pool', () => {
  // Small pools: two connections for tracking writes, two for reads and the workers.
  // No waiting time limit, so that a slow machine refuses nothing either.
  const stack = useStack({
    DELIVERY_TRACKING_WRITE_CONCURRENCY: '2',
    DELIVERY_TRACKING_QUEUE_WAIT_MS: '60000',
  });

  it('stores and publishes every accepted event once, in order, and refuses only with a retryable code', async () => {
    const many = await seed(stack, 300, 'PICKED_UP');
    const [one] = await seed(stack, 1, 'IN_TRANSIT');
    const carried = await seed(stack, 100, 'PICKED_UP');
    const pubsub = await listen(stack);
    try {
      const courier = stack.issuer.userToken({ roles: [Role.COURIER] });
      const [spread, same, hooks] = await Promise.all([
        Promise.all(
          many.map((s) =>
            stack.call(RECORD, { shipmentId: s.id, input: { status: 'IN_TRANSIT' } }, courier),
          ),
        ),
        Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            stack.call(
              RECORD,
              { shipmentId: one!.id, input: { status: 'IN_TRANSIT', note: `scan ${i}` } },
              courier,
            ),
          ),
        ),
        Promise.all(carried.map((s) => postWebhook(stack, webhookBody(s)))),
      ]);

      // Nothing failed: each answer is the step recorded or a retryable refusal.
      for (const res of [...spread, ...same])
        expect(isAccepted(res) || isRefusal(res)).toBeTruthy();
      for (const res of hooks) {
        expect(
          (res.status === 200 && res.body.outcome === 'applied') ||
            (res.status === 503 && res.retryAfter === '1'),
        ).toBe(true);
      }

      // Each accepted event is stored once; a refused one not at all.
      const acceptedSpread = many.filter((_, i) => isAccepted(spread[i]!));
      for (const [i, s] of many.entries()) {
        expect((await eventsOf(stack, s.id)).length).toBe(isAccepted(spread[i]!) ? 1 : 0);
      }
      const acceptedNotes = same.flatMap((res, i) => (isAccepted(res) ? [`scan ${i}`] : []));
      const stored = await eventsOf(stack, one!.id);
      expect(stored.map((e) => e.note).sort()).toEqual([...acceptedNotes].sort());
      const acceptedHooks = carried.filter((_, i) => hooks[i]!.status === 200);
      for (const [i, s] of carried.entries()) {
        expect((await eventsOf(stack, s.id)).length).toBe(hooks[i]!.status === 200 ? 1 : 0);
      }
      const accepted = [...acceptedSpread, ...acceptedHooks];
      // A burst this size fits the queue: refusals are for overload, not for bursts.
      expect(accepted.length + acceptedNotes.length).toBe(450);
      // One shipment.updated per status change: the hub scans of the shipment that was
      // IN_TRANSIT already announce nothing new.
      expect(
        await outboxCount(
          stack,
          accepted.map((s) => s.id),
        ),
      ).toBe(accepted.length);
      expect(await outboxCount(stack, [one!.id])).toBe(0);

      // Published once each; the one shipment's events in the order they were applied.
      await waitFor(
        () =>
          [...pubsub.received.values()].reduce((n, events) => n + events.length, 0) ===
          accepted.length + acceptedNotes.length,
        { what: 'every accepted event published' },
      );
      for (const s of accepted) expect(pubsub.received.get(s.orderId)).toHaveLength(1);
      expect(pubsub.received.get(one!.orderId)?.map((e) => e.note)).toEqual(
        stored.map((e) => e.note),
      );
    } finally {
      pubsub.close();
    }
  });

  it('applies a carrier event id once when it is delivered for two tracking numbers at once', async () => {
    const [a, b] = await seed(stack, 2, 'PICKED_UP');
    const id = randomUUID();
    const results = await Promise.all([
      postWebhook(stack, webhookBody(a!, 'IN_TRANSIT', id)),
      postWebhook(stack, webhookBody(b!, 'IN_TRANSIT', id)),
    ]);
    expect(results.map((r) => r.body.outcome).sort()).toEqual(['applied', 'duplicate']);
    const stored = await stack.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM tracking_events WHERE external_event_id = $1',
      [id],
    );
    expect(stored[0]!.n).toBe(1);
  });
});

describe('overload', () => {
  // One write at a time, three more may wait: the fifth at once is refused.
  const stack = useStack({
    DELIVERY_TRACKING_WRITE_CONCURRENCY: '1',
    DELIVERY_TRACKING_QUEUE_LIMIT: '3',
    DELIVERY_TRACKING_QUEUE_WAIT_MS: '60000',
  });

  it('refuses what does not fit with SERVICE_UNAVAILABLE or 503 + Retry-After, writes nothing for it, and takes it when sent again', async () => {
    const [locked, ...others] = await seed(stack, 8, 'IN_TRANSIT');
    const record = (s: Seeded) => scan(stack, s);

    // Something else holds the shipment's row: its event takes the only write slot and waits.
    const holder = await holdRow(stack, locked!.id);
    try {
      const first = record(locked!);
      await waitFor(
        async () =>
          (
            await stack.sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0]!.n === 1,
        { what: 'the first event waiting for the row lock' },
      );

      // Seven more at once: three wait their turn (no answer yet), four are refused now.
      const mutations = others.slice(0, 5);
      const hooked = others.slice(5);
      let answered = 0;
      const counted = <T>(p: Promise<T>) => p.finally(() => answered++);
      const pending = Promise.all([
        Promise.all(mutations.map((s) => counted(record(s)))),
        Promise.all(hooked.map((s) => counted(postWebhook(stack, webhookBody(s))))),
      ]);
      await waitFor(() => answered === 4, { what: 'four answers' });
      const written = await stack.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM tracking_events',
      );
      expect(written[0]!.n).toBe(0);

      // The lock goes: the first and the three that waited are applied.
      await holder.query('COMMIT');
      const [answers, hookAnswers] = await pending;
      expect(isAccepted(await first)).toBeTruthy();
      expect(await eventsOf(stack, locked!.id)).toHaveLength(1);
      const refusedMutations = mutations.filter((_, i) => isRefusal(answers[i]!));
      const refusedHooks = hooked.filter((_, i) => hookAnswers[i]!.status === 503);
      expect(refusedMutations.length + refusedHooks.length).toBe(4);
      for (const res of answers) expect(isAccepted(res) || isRefusal(res)).toBeTruthy();
      for (const res of hookAnswers) {
        if (res.status === 503) expect(res.retryAfter).toBe('1');
        else expect(res.body.outcome).toBe('applied');
      }
      for (const s of others) {
        const refused = refusedMutations.includes(s) || refusedHooks.includes(s);
        expect(await eventsOf(stack, s.id)).toHaveLength(refused ? 0 : 1);
      }

      // Sent again, the refused are taken.
      for (const s of refusedMutations) expect(isAccepted(await record(s))).toBeTruthy();
      for (const s of refusedHooks) {
        expect((await postWebhook(stack, webhookBody(s))).body.outcome).toBe('applied');
      }
      for (const s of others) expect(await eventsOf(stack, s.id)).toHaveLength(1);
    } finally {
      await holder.end();
    }
  });
});

describe('a row lock that is not let go', () => {
  const stack = useStack({
    DELIVERY_TRACKING_WRITE_CONCURRENCY: '1',
    DELIVERY_TRACKING_QUEUE_WAIT_MS: '300',
  });

  it("refuses that shipment's events as retryable without holding up the others", async () => {
    const [locked, free] = await seed(stack, 2, 'IN_TRANSIT');
    const record = (s: Seeded) => scan(stack, s);
    const holder = await holdRow(stack, locked!.id);
    try {
      const [mutation, webhook] = await Promise.all([
        record(locked!),
        postWebhook(stack, webhookBody(locked!)),
      ]);
      expect(isRefusal(mutation)).toBeTruthy();
      expect(webhook).toMatchObject({ status: 503, retryAfter: '1' });
      expect(await eventsOf(stack, locked!.id)).toEqual([]);
      // The write connection was given back: another shipment's event goes through.
      expect(isAccepted(await record(free!))).toBeTruthy();
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(isAccepted(await record(locked!))).toBeTruthy();
    expect(await eventsOf(stack, locked!.id)).toHaveLength(1);
  });
});
