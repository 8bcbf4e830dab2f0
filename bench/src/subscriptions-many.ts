// The many-orders scenario of the subscriptions benchmark: N customers, each following their
// own order (N groups, N upstream subscriptions on delivery's shared sockets), and a courier
// driver recording tracking events through the router at a steady rate spread over them
// (open loop: events leave on schedule whatever the answers take) for 60 s after a 5 s
// warm-up. Each event must reach its one subscriber, with its order's fields from orders.
//
// The N orders and shipments are copies, written straight into orders' and delivery's
// databases, of one order placed and paid through the real checkout; the N customers'
// tokens are signed with users' own key. Neither is what is measured, and going through the
// checkout and password hashing ten thousand times would take an hour.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { queryDatabase, waitFor } from '@shop/test-harness';
import type { Shop } from '../../e2e/src/shop';
import { appendSection } from './harness';
import { Latencies, latencyRow } from './latency';
import { openLoop } from './open-loop';
import type { LoopReading } from './processes/loop-monitor';
import { monotonicMicros, writeProfileWindow } from './profile';
import {
  connectAll,
  Role,
  signUserTokens,
  type Subscriber,
  type SubscriberSpec,
} from './subscription-clients';
import { mib, loopReadings, routerMemory, usageOf, type TrackingStack } from './subscription-stack';
import {
  collectedPerConnection,
  DELIVERY_UPDATED,
  deliverySubscriptions,
  ms,
  orderViewCheck,
  SUBSCRIBE_TIMEOUT_MS,
  type TrackedOrder,
} from './subscriptions';

/** What a courier's scanner sends at each hub, and all it needs back. */
const SCAN = `mutation Scan($shipmentId: ID!, $input: TrackingEventInput!) {
  recordTrackingEvent(shipmentId: $shipmentId, input: $input) { id status }
}`;

const MEASURED_SECONDS = 60;

/** A service's event-loop delay and GC pauses over the measured minute, as a sentence. */
function pauses(name: string, loop: LoopReading): string {
  return `${name}'s: p99 ${ms(loop.p99Ms)} ms, max ${ms(loop.maxMs)} ms, with ${loop.gc.count} garbage collections pausing it ${ms(loop.gc.totalMs)} ms in all, the longest ${ms(loop.gc.maxMs)} ms`;
}
const WARMUP_SECONDS = 5;
/** Longest wait, after the last event was sent, for the stragglers to arrive. */
const DRAIN_MS = 30_000;

export interface ManyOrdersInput {
  stack: TrackingStack;
  shop: Shop;
  order: TrackedOrder;
  subscribers: Subscriber[];
  n: number;
  rate: number;
  command: string;
  /** The services run under the profiler: note the measured minute for its summary. */
  profile?: boolean;
}

interface Followed {
  orderId: string;
  userId: string;
  shipmentId: string;
  trackingNumber: string;
}

/** One event the driver sent: to whom, when, and whether delivery accepted it. */
interface Sent {
  subscriber: number;
  at: number;
  measured: boolean;
  outcome?: 'accepted' | 'refused' | 'error';
  /** When the courier had the answer (performance.now()). */
  answered?: number;
}

export async function runManyOrders(input: ManyOrdersInput): Promise<string> {
  const { stack, shop, order, subscribers, n, rate, command } = input;
  const followed = await seedOrders(stack, order, n);
  const tokens = signUserTokens(
    stack.users,
    followed.map((f) => ({ userId: f.userId, roles: [Role.CUSTOMER] })),
  );
  const specs: SubscriberSpec[] = followed.map((f, i) => ({
    authorization: `Bearer ${tokens[i]!}`,
    query: DELIVERY_UPDATED,
    variables: { orderId: f.orderId },
    // Each client sees its own parcel, with the order's total from orders.
    check: orderViewCheck({ trackingNumber: f.trackingNumber, amount: order.amount }),
  }));

  const before = usageOf(stack.pids);
  const collectedBefore = await routerMemory(stack);
  const loadBefore = os.loadavg()[0]!;
  const started = performance.now();
  const connectSeconds = await connectAll(
    stack.routerUrl.replace(/^http/, 'ws'),
    specs,
    subscribers,
  );
  await waitFor(() => subscribers.every((s) => s.snapshots > 0), {
    timeoutMs: SUBSCRIBE_TIMEOUT_MS,
    intervalMs: 200,
    what: `${n} snapshots`,
  });
  const subscribedSeconds = (performance.now() - started) / 1000;
  const upstream = await deliverySubscriptions(stack);
  const after = usageOf(stack.pids);
  const collectedAfter = await routerMemory(stack);

  const sent: Sent[] = [];
  const send = async (subscriber: number, measured: boolean, k: number): Promise<void> => {
    const record: Sent = { subscriber, at: performance.now(), measured };
    sent.push(record);
    try {
      const res = await shop.call(
        SCAN,
        {
          shipmentId: followed[subscriber]!.shipmentId,
          input: { status: 'IN_TRANSIT', location: `Hub ${k}` },
        },
        order.courier,
      );
      record.answered = performance.now();
      const code = res.errors?.[0]?.extensions?.code;
      record.outcome = res.data?.recordTrackingEvent
        ? 'accepted'
        : code === 'SERVICE_UNAVAILABLE'
          ? 'refused'
          : 'error';
      if (record.outcome === 'error') errors.push(JSON.stringify(res.errors).slice(0, 300));
    } catch (err) {
      record.outcome = 'error';
      errors.push(String(err));
    }
  };
  const errors: string[] = [];
  // Warm-up from the last subscriber down, the measured events from the first up: with
  // fewer events than subscribers, nobody gets two.
  await openLoop(rate, WARMUP_SECONDS, (k) => send(n - 1 - (k % n), false, k));
  await settle(subscribers, sent);
  const cpuBefore = usageOf(stack.pids);
  const measureStarted = performance.now();
  const windowStart = monotonicMicros();
  // The clients' own event loop: a pause here (e.g. collecting ten thousand clients'
  // garbage) delays every receive time measured in it, whatever the shop did.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  await loopReadings(stack);
  await openLoop(rate, MEASURED_SECONDS, (k) => send(k % n, true, k));
  const sendSeconds = (performance.now() - measureStarted) / 1000;
  const missing = await settle(subscribers, sent);
  loopDelay.disable();
  const loops = await loopReadings(stack);
  if (input.profile) {
    writeProfileWindow({
      startMicros: windowStart,
      endMicros: monotonicMicros(),
      units: sent.filter((e) => e.measured && e.outcome === 'accepted').length,
      unit: 'tracking event',
      command,
    });
  }
  const cpuAfter = usageOf(stack.pids);
  const loadAfter = os.loadavg()[0]!;

  // The j-th accepted event of a subscriber is the j-th live step it received (the events
  // of one subscription arrive in order).
  const latencies = new Latencies();
  const acknowledged = new Latencies();
  // BENCH_DUMP=<file>: each measured event's send time (ms into the minute) and latency, one
  // per line, to see whether slow events come in waves (a backlog) or alone (pauses).
  const timeline: string[] = [];
  const seen = new Map<number, number>();
  for (const event of sent) {
    if (event.outcome !== 'accepted') continue;
    const j = seen.get(event.subscriber) ?? 0;
    seen.set(event.subscriber, j + 1);
    const at = subscribers[event.subscriber]!.received[j];
    if (event.measured && at !== undefined) latencies.add(at - event.at);
    if (event.measured && event.answered !== undefined) acknowledged.add(event.answered - event.at);
    if (event.measured && at !== undefined) {
      const answered = event.answered === undefined ? -1 : event.answered - event.at;
      timeline.push(
        `${(event.at - measureStarted).toFixed(0)} ${(at - event.at).toFixed(0)} ${answered.toFixed(0)}`,
      );
    }
  }
  if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, timeline.join('\n'));
  const measured = sent.filter((e) => e.measured);
  const count = (outcome: Sent['outcome']) => measured.filter((e) => e.outcome === outcome).length;
  const problems = subscribers.flatMap((s) => s.problems);
  if (problems.length || missing > 0 || errors.length) {
    throw new Error(
      `many-orders run not recorded: ${missing} accepted events never reached their subscriber, ${errors.length} errors, ${problems.length} problems; ` +
        [...new Set([...errors, ...problems])].slice(0, 5).join('; '),
    );
  }
  const summary = latencies.summary(sendSeconds);
  const delivered = latencies.count;
  const cpuPerEvent = (name: keyof TrackingStack['pids']) =>
    (((cpuAfter[name].cpuMs - cpuBefore[name].cpuMs) * 1000) / Math.max(delivered, 1)).toFixed(0);
  const perConnection = (name: 'router' | 'delivery') =>
    ((after[name].rssKiB - before[name].rssKiB) / n).toFixed(1);
  const notes = [
    `Subscribers: ${n} graphql-ws clients, each its own customer (its own token in connection_init) following its own order: all connected after ${connectSeconds.toFixed(1)} s, every one with its opening snapshot after ${subscribedSeconds.toFixed(1)} s, when delivery held ${upstream} subscriptions (one per group).`,
    `Events: ${measured.length} recordTrackingEvent calls through the router as a courier, ${rate}/s for ${MEASURED_SECONDS} s (sent over ${sendSeconds.toFixed(1)} s), each to a different order: ${count('accepted')} accepted, ${count('refused')} refused, ${count('error')} errors; ${delivered} delivered, 0 missed. Latency = time the client received the event − time its recordTrackingEvent was sent (one clock): p50 ${ms(summary.p50)} ms, p99 ${ms(summary.p99)} ms, max ${ms(summary.max)} ms.`,
    `The clients' own event loop (this process) over the measured minute: delay p99 ${ms(loopDelay.percentile(99) / 1e6)} ms, max ${ms(loopDelay.max / 1e6)} ms (a pause there shows in every latency measured at that moment); ${pauses('router', loops.router)}; ${pauses('delivery', loops.delivery)}.`,
    `Memory per idle connection (VmRSS after all subscribed − before the first client, / ${n}): router ${perConnection('router')} KiB (${mib(before.router.rssKiB)} → ${mib(after.router.rssKiB)} MiB), delivery ${perConnection('delivery')} KiB (${mib(before.delivery.rssKiB)} → ${mib(after.delivery.rssKiB)} MiB). ${collectedPerConnection(collectedBefore, collectedAfter, n)} Open file descriptors: router ${before.router.fds} → ${after.router.fds}, delivery ${before.delivery.fds} → ${after.delivery.fds}.`,
    `CPU per delivered event (user + system over the measured minute / ${delivered}; each event is also a mutation through the router): router ${cpuPerEvent('router')} µs, delivery ${cpuPerEvent('delivery')} µs, orders ${cpuPerEvent('orders')} µs.`,
    `Every message checked: no errors, the subscriber's own tracking number, the order's total (${order.amount}) from orders. Load average (1 min) ${loadBefore.toFixed(2)} before the clients, ${loadAfter.toFixed(2)} after the last event: the machine is shared, so figures vary from run to run.`,
  ].join('\n');
  return appendSection(
    'subscriptions.md',
    'Benchmark: deliveryUpdated fan-out through the router',
    {
      command,
      load: `many-orders: ${n} subscribers, each its own customer on its own order, tracking events at ${rate}/s for ${MEASURED_SECONDS} s after a ${WARMUP_SECONDS} s warm-up; the clients and the courier in this process; users, products, cart, orders, delivery and the router each in a process of its own on this machine, with PostgreSQL and Redis.`,
      columns: ['events', 'delivered', 'per s', 'mean', 'p50', 'p99', 'p99.9', 'max'],
      rows: [
        latencyRow('tracking event → its subscriber', summary),
        latencyRow(
          'recordTrackingEvent answered to the courier',
          acknowledged.summary(sendSeconds),
        ),
      ],
      notes,
    },
  );
}

/**
 * N copies of the tracked order, each with a customer of its own, its lines, and an
 * IN_TRANSIT shipment with one tracking event (what its opening snapshot shows).
 */
async function seedOrders(
  stack: TrackingStack,
  order: TrackedOrder,
  n: number,
): Promise<Followed[]> {
  const orders = await queryDatabase<{ orderId: string; userId: string }>(
    stack.orders.databaseUrl,
    `WITH copies AS (
       INSERT INTO orders (id, user_id, status, currency, total_amount, shipping_address,
                           idempotency_key, created_at, updated_at)
       SELECT gen_random_uuid(), gen_random_uuid(), o.status, o.currency, o.total_amount,
              o.shipping_address, 'bench-' || n, now(), now()
       FROM orders o, generate_series(1, $2::int) AS n
       WHERE o.id = $1::uuid
       RETURNING id, user_id
     ), lines AS (
       INSERT INTO order_lines (id, order_id, position, product_id, sku, name, unit_amount, quantity)
       SELECT gen_random_uuid(), c.id, l.position, l.product_id, l.sku, l.name, l.unit_amount, l.quantity
       FROM copies c CROSS JOIN order_lines l
       WHERE l.order_id = $1::uuid
     )
     SELECT id::text AS "orderId", user_id::text AS "userId" FROM copies`,
    [order.orderId, n],
  );
  if (orders.length !== n) throw new Error(`seeded ${orders.length} orders, not ${n}`);
  const shipments = await queryDatabase<Followed>(
    stack.delivery.databaseUrl,
    `WITH seeded AS (
       INSERT INTO shipments (id, order_id, user_id, status, carrier, tracking_number, updated_at)
       SELECT gen_random_uuid(), o.order_id, o.user_id, 'IN_TRANSIT', 'bench',
              'MANY' || lpad(o.n::text, 8, '0'), now()
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS o(order_id, user_id, n)
       RETURNING id, order_id, user_id, tracking_number
     ), events AS (
       INSERT INTO tracking_events (id, shipment_id, status, location, at, source)
       SELECT gen_random_uuid(), id, 'IN_TRANSIT', 'Berlin depot', now(), 'COURIER' FROM seeded
     )
     SELECT order_id::text AS "orderId", user_id::text AS "userId", id::text AS "shipmentId",
            tracking_number AS "trackingNumber"
     FROM seeded`,
    [orders.map((o) => o.orderId), orders.map((o) => o.userId)],
  );
  // In the subscribers' order: subscriber i follows orders[i].
  const byOrder = new Map(shipments.map((s) => [s.orderId, s]));
  return orders.map((o) => byOrder.get(o.orderId)!);
}

/**
 * Waits until every accepted event has reached its subscriber, or DRAIN_MS after the last
 * answer; returns how many accepted events never arrived.
 */
async function settle(subscribers: Subscriber[], sent: Sent[]): Promise<number> {
  const missing = () => {
    const expected = new Map<number, number>();
    for (const e of sent) {
      if (e.outcome === 'accepted')
        expected.set(e.subscriber, (expected.get(e.subscriber) ?? 0) + 1);
    }
    let short = 0;
    for (const [i, count] of expected) {
      short += Math.max(0, count - subscribers[i]!.received.length);
    }
    return short;
  };
  await waitFor(() => missing() === 0, {
    timeoutMs: DRAIN_MS,
    intervalMs: 50,
    what: 'every accepted event to reach its subscriber',
  }).catch(() => undefined);
  return missing();
}
