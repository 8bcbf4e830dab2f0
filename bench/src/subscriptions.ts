// Live tracking fan-out: graphql-ws clients subscribe through the router to deliveryUpdated,
// with fields from delivery and orders in each event, and every subscriber must receive
// every step. Measures how long connecting all took, event-to-client latency, memory and
// file descriptors per connection and CPU per delivered event in the router and delivery.
// A run in which any subscriber missed an event is not recorded.
//   npm run bench -- subscriptions [--scenario S] [--subscribers N] [--rate R] [--duration S]
//
// Scenarios (--scenario):
//   broadcast (default): N clients of one customer, one token, on one order (one group);
//   many-orders: N clients, each its own customer following its own order, tracking events
//     at R per second (100 when absent) spread over them for 60 s (subscriptions-many.ts);
//   staff: N clients with distinct identities (half ADMINs, half COURIERs) on one order: N
//     groups, each completed on its own (ADMINs' events carry the order's fields from orders;
//     a courier's app shows the shipment only — orders does not show couriers the order).
//
// The clients and the courier run in this process, so send and receive times share one clock.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { RECORD } from '@shop/delivery/testing';
import { deleteKeys, testKeyPrefix, waitFor } from '@shop/test-harness';
import { Shop, type Shopper } from '../../e2e/src/shop';
import { appendSection } from './harness';
import { Latencies, type LatencySummary } from './latency';
import { type Child } from './processes/child';
import {
  closeAll,
  connectAll,
  Role,
  signUserTokens,
  type DeliveryUpdate,
  type Subscriber,
  type SubscriberSpec,
} from './subscription-clients';
import {
  mib,
  routerMemory,
  startTrackingStack,
  usageOf,
  type TrackingStack,
} from './subscription-stack';
import { runManyOrders } from './subscriptions-many';

/** The scenarios `--scenario` selects; the first is the default. */
export const SUBSCRIPTION_SCENARIOS = ['broadcast', 'many-orders', 'staff'] as const;
export type SubscriptionScenario = (typeof SUBSCRIPTION_SCENARIOS)[number];

export interface SubscriptionOptions {
  subscribers: number;
  /** One of SUBSCRIPTION_SCENARIOS; broadcast when absent. */
  scenario?: string;
  /** many-orders: tracking events per second. */
  rate?: number;
  /** many-orders: each service under V8's profiler during the measured minute. */
  profile?: boolean;
}

/** What a mobile app shows: the step, and the parcel's order (from orders). */
export const DELIVERY_UPDATED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    snapshot
    event { status at }
    shipment { trackingNumber order { status total { amount } } }
  }
}`;

/** What a courier's app shows: the step and the parcel, all from delivery. */
const COURIER_VIEW = `subscription Parcel($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    snapshot
    event { status at }
    shipment { trackingNumber status }
  }
}`;

/** Measured tracking steps, after one warm-up step. */
const EVENTS = 3;
/** Pause between steps, so each is measured on its own. */
const GAP_MS = 3_000;
/** Longest wait for every subscriber to receive one step. */
const EVENT_TIMEOUT_MS = 180_000;
/** Longest wait for every subscription to reach delivery. */
export const SUBSCRIBE_TIMEOUT_MS = 300_000;

interface Step {
  name: string;
  received: number;
  latency: LatencySummary;
}

/** A paid order with its shipment and label, placed through the router by a new customer. */
export interface TrackedOrder {
  customer: Shopper;
  courier: string;
  orderId: string;
  shipmentId: string;
  trackingNumber: string;
  amount: number;
}

export async function benchSubscriptions(
  options: SubscriptionOptions,
  command: string,
): Promise<string> {
  const n = options.subscribers;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--subscribers must be a whole number of at least 1, not ${n}`);
  }
  const scenario = (options.scenario ?? SUBSCRIPTION_SCENARIOS[0]) as SubscriptionScenario;
  if (!SUBSCRIPTION_SCENARIOS.includes(scenario)) {
    throw new Error(
      `--scenario must be one of ${SUBSCRIPTION_SCENARIOS.join(', ')}, not ${String(options.scenario)}`,
    );
  }
  const rate = options.rate ?? 100;
  if (!(rate > 0)) throw new Error(`--rate must be above 0, not ${rate}`);
  const children: Child<unknown>[] = [];
  const queuePrefix = testKeyPrefix('bench-subscriptions').replace(/:$/, '');
  const subscribers: Subscriber[] = [];
  try {
    const stack = await startTrackingStack(children, queuePrefix, { profile: options.profile });
    const shop = new Shop(stack.routerUrl);
    const order = await trackedOrder(shop);
    if (scenario === 'many-orders') {
      return await runManyOrders({
        stack,
        shop,
        order,
        subscribers,
        n,
        rate,
        command,
        profile: options.profile,
      });
    }
    return await runSteps(stack, shop, order, subscribers, n, scenario, command);
  } finally {
    await closeAll(subscribers);
    for (const child of children.reverse()) await child.stop();
    await deleteKeys(`${queuePrefix}:`);
  }
}

/** A customer's order placed and paid through the real checkout, once it has its label. */
async function trackedOrder(shop: Shop): Promise<TrackedOrder> {
  const customer = await shop.shopper({ name: 'Ada Lovelace' });
  const courier = await shop.courier();
  const paid = await shop.paidOrder(customer, 2);
  const order = await shop.orderOnceReady(
    customer,
    paid.orderId,
    'status total { amount } shipment { id status trackingNumber }',
    (o) => o.shipment?.status === 'LABEL_CREATED',
    'the paid order to get its shipment and label',
  );
  return {
    customer,
    courier,
    orderId: paid.orderId,
    shipmentId: order.shipment.id as string,
    trackingNumber: order.shipment.trackingNumber as string,
    amount: order.total.amount as number,
  };
}

/** The checks of a client that reads the order's fields too (the customer, an ADMIN). */
export function orderViewCheck(order: {
  trackingNumber: string;
  amount: number;
}): SubscriberSpec['check'] {
  return (update: DeliveryUpdate) =>
    update.shipment?.trackingNumber !== order.trackingNumber ||
    update.shipment?.order?.total?.amount !== order.amount ||
    typeof update.event?.status !== 'string'
      ? 'unexpected event'
      : undefined;
}

/** broadcast and staff: N clients on one order, a few steps, each measured on its own. */
async function runSteps(
  stack: TrackingStack,
  shop: Shop,
  order: TrackedOrder,
  subscribers: Subscriber[],
  n: number,
  scenario: 'broadcast' | 'staff',
  command: string,
): Promise<string> {
  const variables = { orderId: order.orderId };
  const orderView = orderViewCheck(order);
  const courierView: SubscriberSpec['check'] = (update) =>
    update.shipment?.trackingNumber !== order.trackingNumber ||
    typeof update.shipment?.status !== 'string' ||
    typeof update.event?.status !== 'string'
      ? 'unexpected event'
      : undefined;
  let specs: SubscriberSpec[];
  if (scenario === 'broadcast') {
    const spec = {
      authorization: `Bearer ${order.customer.token}`,
      query: DELIVERY_UPDATED,
      variables,
      check: orderView,
    };
    specs = Array.from({ length: n }, () => spec);
  } else {
    // Staff each signed in as themselves: distinct subjects, so no two share a group.
    const people = Array.from({ length: n }, (_, i) => ({
      userId: randomUUID(),
      roles: [i % 2 ? Role.COURIER : Role.ADMIN],
    }));
    const tokens = signUserTokens(stack.users, people);
    specs = people.map((p, i) => {
      const admin = p.roles[0] === Role.ADMIN;
      return {
        authorization: `Bearer ${tokens[i]!}`,
        query: admin ? DELIVERY_UPDATED : COURIER_VIEW,
        variables,
        check: admin ? orderView : courierView,
      };
    });
  }

  const before = usageOf(stack.pids);
  const collectedBefore = await routerMemory(stack);
  const loadBefore = os.loadavg()[0]!;
  const connectSeconds = await connectAll(
    stack.routerUrl.replace(/^http/, 'ws'),
    specs,
    subscribers,
  );
  const connectStarted = performance.now() - connectSeconds * 1000;
  // Subscribed: each subscription opens with a snapshot of the shipment.
  await waitFor(() => subscribers.every((s) => s.snapshots > 0), {
    timeoutMs: SUBSCRIBE_TIMEOUT_MS,
    intervalMs: 200,
    what: `${n} snapshots`,
  });
  const subscribedSeconds = (performance.now() - connectStarted) / 1000;
  const upstream = await deliverySubscriptions(stack);
  const after = usageOf(stack.pids);
  const collectedAfter = await routerMemory(stack);

  const steps: Step[] = [];
  const plan = [
    { name: 'warm-up: PICKED_UP', status: 'PICKED_UP', location: 'Berlin depot' },
    ...Array.from({ length: EVENTS }, (_, k) => ({
      name: `IN_TRANSIT #${k + 1}`,
      status: 'IN_TRANSIT',
      location: `Hub ${k + 1}`,
    })),
  ];
  for (const [index, step] of plan.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    const sent = performance.now();
    await shop.ok(
      RECORD,
      { shipmentId: order.shipmentId, input: { status: step.status, location: step.location } },
      order.courier,
    );
    const arrived = () => subscribers.filter((s) => s.received.length > index).length;
    await waitFor(() => arrived() === n, {
      timeoutMs: EVENT_TIMEOUT_MS,
      intervalMs: 20,
      what: `every subscriber to receive ${step.name}`,
    }).catch(() => undefined);
    const latencies = new Latencies();
    for (const s of subscribers) {
      const at = s.received[index];
      if (at !== undefined) latencies.add(at - sent);
    }
    steps.push({ name: step.name, received: latencies.count, latency: latencies.summary(0) });
  }
  const loadAfter = os.loadavg()[0]!;
  const done = usageOf(stack.pids);

  const problems = subscribers.flatMap((s) => s.problems);
  const missed = steps.filter((s) => s.received !== n);
  if (problems.length || missed.length) {
    throw new Error(
      `not every subscriber received every step correctly (run not recorded): ` +
        [
          ...missed.map((s) => `${s.name} reached ${s.received} of ${n}`),
          ...[...new Set(problems)].slice(0, 5),
          problems.length ? `${problems.length} problems in all` : '',
        ]
          .filter(Boolean)
          .join('; '),
    );
  }

  const cpuPerMessage = (name: keyof TrackingStack['pids']) =>
    (((done[name].cpuMs - after[name].cpuMs) * 1000) / (n * plan.length)).toFixed(1);
  const perConnection = (name: 'router' | 'delivery') =>
    ((after[name].rssKiB - before[name].rssKiB) / n).toFixed(1);
  const measured = steps.slice(1);
  const all = {
    p50: Math.max(...measured.map((s) => s.latency.p50)),
    p99: Math.max(...measured.map((s) => s.latency.p99)),
    max: Math.max(...measured.map((s) => s.latency.max)),
  };
  const who =
    scenario === 'broadcast'
      ? `${n} graphql-ws clients (one socket each, the order's customer's token in connection_init)`
      : `${n} graphql-ws clients, each its own staff member (${Math.ceil(n / 2)} ADMINs with the order's fields, ${Math.floor(n / 2)} COURIERs with the shipment's), one socket and one token each`;
  const notes = [
    `Subscribers: ${who}, opened in batches of 250: all connected (connection_ack) after ${connectSeconds.toFixed(1)} s; every one had its opening snapshot after ${subscribedSeconds.toFixed(1)} s, when delivery held ${upstream} subscriptions.`,
    `Latency = time the client received the step − time the courier's recordTrackingEvent was sent to the router (one clock: the clients and the courier run in this process). Over the ${EVENTS} measured steps: worst p50 ${ms(all.p50)} ms, worst p99 ${ms(all.p99)} ms, max ${ms(all.max)} ms.`,
    `Memory per idle connection (VmRSS after all subscribed, before the first step − before the first client, / ${n}): router ${perConnection('router')} KiB (${mib(before.router.rssKiB)} → ${mib(after.router.rssKiB)} MiB), delivery ${perConnection('delivery')} KiB (${mib(before.delivery.rssKiB)} → ${mib(after.delivery.rssKiB)} MiB). ${collectedPerConnection(collectedBefore, collectedAfter, n)}`,
    `CPU per delivered event (user + system, from the first step to the last, / ${n * plan.length} messages): router ${cpuPerMessage('router')} µs, delivery ${cpuPerMessage('delivery')} µs, orders ${cpuPerMessage('orders')} µs.`,
    `Open file descriptors: router ${before.router.fds} → ${after.router.fds}, delivery ${before.delivery.fds} → ${after.delivery.fds} (the router relays every subscription over its few shared upstream sockets).`,
    `Every message checked: no errors, the step's status, the tracking number${scenario === 'staff' ? ' and, for ADMINs,' : ' and'} the order's total (${order.amount}) from orders. Load average (1 min) ${loadBefore.toFixed(2)} before the clients, ${loadAfter.toFixed(2)} after the last step: the machine is shared, so figures vary from run to run.`,
  ].join('\n');
  return appendSection(
    'subscriptions.md',
    'Benchmark: deliveryUpdated fan-out through the router',
    {
      command,
      load: `${scenario}: ${n} subscribers to one order's deliveryUpdated through the router, ${EVENTS} tracking steps ${GAP_MS / 1000} s apart after one warm-up step; the clients and the courier in this process; users, products, cart, orders, delivery and the router each in a process of its own on this machine, with PostgreSQL and Redis.`,
      columns: ['step', 'received', 'p50', 'p99', 'max'],
      rows: steps.map((s) => [
        s.name,
        `${s.received} / ${n}`,
        ms(s.latency.p50),
        ms(s.latency.p99),
        ms(s.latency.max),
      ]),
      notes,
    },
  );
}

/** How many subscriptions delivery holds: one per group, not one per client. */
export async function deliverySubscriptions(stack: TrackingStack): Promise<number> {
  const stats = (await (await fetch(stack.delivery.statsUrl)).json()) as { subscribers: number };
  return stats.subscribers;
}

/** The router's memory per connection between two readings after a full collection. */
export function collectedPerConnection(
  before: Awaited<ReturnType<typeof routerMemory>>,
  after: Awaited<ReturnType<typeof routerMemory>>,
  n: number,
): string {
  const per = (key: keyof typeof before) => ((after[key] - before[key]) / n).toFixed(1);
  return `After a full garbage collection in the router (what an idle connection really keeps): ${per('rssKiB')} KiB resident, of which JavaScript heap ${per('heapKiB')} KiB and buffers outside it ${per('externalKiB')} KiB.`;
}

export function ms(value: number): string {
  return value.toFixed(1);
}
