// Live tracking fan-out: N graphql-ws clients subscribe through the router to one order's
// deliveryUpdated, with fields from delivery and orders in each event; a courier records
// K tracking steps; every subscriber must receive every step. Measures how long connecting
// all took, event-to-client latency over all subscribers, and memory per connection in the
// router and in delivery. A run in which any subscriber missed an event is not recorded.
//   npm run bench -- subscriptions [--scenario broadcast] [--subscribers N]
//
// Scenarios (--scenario):
//   broadcast (default): N clients of one customer, one token, on one order.
//
// users, products, cart, orders, delivery and the router each run in a process of their
// own (products and cart because the order is placed and paid through the real checkout);
// the clients run in this process, so send and receive times share one clock.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { deleteKeys, testKeyPrefix, waitFor } from '@shop/test-harness';
import { Shop } from '../../e2e/src/shop';
import { DELIVERY_OAUTH_CLIENT } from '../../subgraphs/delivery/test/support/delivery-service';
import { RECORD } from '../../subgraphs/delivery/test/support/operations';
import { ORDERS_OAUTH_CLIENTS } from '../../subgraphs/orders/test/support/orders-service';
import { appendSection } from './harness';
import { Latencies, type LatencySummary } from './latency';
import { startChild, type Child } from './processes/child';

/** The scenarios `--scenario` selects; the first is the default. */
export const SUBSCRIPTION_SCENARIOS = ['broadcast'] as const;
export type SubscriptionScenario = (typeof SUBSCRIPTION_SCENARIOS)[number];

export interface SubscriptionOptions {
  subscribers: number;
  /** One of SUBSCRIPTION_SCENARIOS; broadcast when absent. */
  scenario?: string;
}

/** What a mobile app shows: the step, and the parcel's order (from orders). */
const DELIVERY_UPDATED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    snapshot
    event { status at }
    shipment { trackingNumber order { status total { amount } } }
  }
}`;

/** Clients opened at once; the next batch starts when this one is connected. */
const BATCH = 250;
/** Measured tracking steps, after one warm-up step. */
const EVENTS = 3;
/** Pause between steps, so each is measured on its own. */
const GAP_MS = 3_000;
/** Longest wait for every subscriber to receive one step. */
const EVENT_TIMEOUT_MS = 180_000;
/** Longest wait for every subscription to reach delivery. */
const SUBSCRIBE_TIMEOUT_MS = 300_000;

/** An event as DELIVERY_UPDATED selects it. */
interface DeliveryUpdate {
  snapshot?: boolean;
  event?: { status?: string; at?: string };
  shipment?: { trackingNumber?: string; order?: { status?: string; total?: { amount?: number } } };
}

interface Services {
  routerUrl: string;
  deliveryStatsUrl: string;
  pids: { router: number; delivery: number };
}

interface Subscriber {
  client: Client;
  /** Receive time (performance.now()) of each live step, in order (snapshots not counted). */
  received: number[];
  /** Snapshots received (the first message of a subscription, where delivery sends one). */
  snapshots: number;
  /** Anything wrong with what arrived: errors, a wrong step, an early end. */
  problems: string[];
}

interface Step {
  name: string;
  status: string;
  received: number;
  latency: LatencySummary;
}

interface ProcessUse {
  rssKiB: number;
  fds: number;
  /** User + system CPU time so far, in milliseconds. */
  cpuMs: number;
}

export async function benchSubscriptions(
  options: SubscriptionOptions,
  command: string,
): Promise<string> {
  const n = options.subscribers;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--subscribers must be a whole number of at least 1, not ${n}`);
  }
  const scenario = options.scenario ?? SUBSCRIPTION_SCENARIOS[0];
  if (!(SUBSCRIPTION_SCENARIOS as readonly string[]).includes(scenario)) {
    throw new Error(
      `--scenario must be one of ${SUBSCRIPTION_SCENARIOS.join(', ')}, not ${scenario}`,
    );
  }
  const children: Child<unknown>[] = [];
  const queuePrefix = testKeyPrefix('bench-subscriptions').replace(/:$/, '');
  const subscribers: Subscriber[] = [];
  try {
    const services = await startServices(children, queuePrefix);
    return await run(services, subscribers, n, command);
  } finally {
    await closeAll(subscribers);
    for (const child of children.reverse()) await child.stop();
    await deleteKeys(`${queuePrefix}:`);
  }
}

/** users, products, cart, orders, delivery and the router, each in a process of its own. */
async function startServices(children: Child<unknown>[], queuePrefix: string): Promise<Services> {
  const start = async <T>(script: string, input: Record<string, unknown>) => {
    const child = await startChild<T>(script, input);
    children.push(child);
    return child;
  };
  const users = await start<{ url: string; jwksUrl: string; issuer: string; audience: string }>(
    'users.ts',
    {
      env: {
        // orders reads addresses and reserves stock; delivery asks orders who owns an order.
        OAUTH_CLIENTS: [ORDERS_OAUTH_CLIENTS, DELIVERY_OAUTH_CLIENT].join(','),
        // The clients' token must outlive the run: the router closes a socket at its expiry.
        ACCESS_TOKEN_TTL_SECONDS: '3600',
      },
    },
  );
  const { jwksUrl, issuer, audience } = users.info;
  const trust = { JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience };
  const products = await start<{ url: string }>('products.ts', {
    jwksUrl,
    issuer,
    audience,
    seed: false,
  });
  const cart = await start<{ url: string }>('cart.ts', {
    ...trust,
    PRODUCTS_URL: products.info.url,
  });
  // orders and delivery share a BullMQ prefix: the paid order reaches delivery's label worker.
  const shared = { QUEUE_PREFIX: queuePrefix, OUTBOX_POLL_INTERVAL_MS: '100' };
  const orders = await start<{ url: string }>('orders.ts', {
    neighbours: {
      jwksUrl,
      issuer,
      audience,
      usersUrl: users.info.url,
      productsUrl: products.info.url,
      cartUrl: cart.info.url,
    },
    env: { ...shared, OUTBOX_RELAY_ENABLED: 'true' },
  });
  const delivery = await start<{ url: string; statsUrl: string }>('delivery.ts', {
    neighbours: {
      jwksUrl,
      issuer,
      audience,
      ordersUrl: orders.info.url,
      oauthTokenUrl: users.info.url.replace(/\/graphql$/, '/oauth/token'),
    },
    env: shared,
  });
  const router = await start<{ url: string }>('router.ts', {
    ...trust,
    USERS_SUBGRAPH_URL: users.info.url,
    PRODUCTS_SUBGRAPH_URL: products.info.url,
    CART_SUBGRAPH_URL: cart.info.url,
    ORDERS_SUBGRAPH_URL: orders.info.url,
    DELIVERY_SUBGRAPH_URL: delivery.info.url,
  });
  return {
    routerUrl: router.info.url,
    deliveryStatsUrl: delivery.info.statsUrl,
    pids: { router: router.pid, delivery: delivery.pid },
  };
}

async function run(
  services: Services,
  subscribers: Subscriber[],
  n: number,
  command: string,
): Promise<string> {
  const shop = new Shop(services.routerUrl);
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
  const shipmentId = order.shipment.id as string;
  const expected = {
    trackingNumber: order.shipment.trackingNumber as string,
    amount: order.total.amount as number,
  };

  const before = usage(services.pids);
  const loadBefore = os.loadavg()[0]!;

  // Connect in batches, so the router takes a steady stream of handshakes, not a storm.
  const wsUrl = services.routerUrl.replace(/^http/, 'ws');
  const authorization = `Bearer ${customer.token}`;
  const connectStarted = performance.now();
  for (let first = 0; first < n; first += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = first; i < Math.min(n, first + BATCH); i++) {
      const subscriber = open(wsUrl, authorization, paid.orderId, expected);
      subscribers.push(subscriber.subscriber);
      batch.push(subscriber.connected);
    }
    await Promise.all(batch);
  }
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  // Subscribed: each subscription opens with a snapshot of the shipment. (Delivery's own
  // count says little now: the router shares one upstream subscription among a group.)
  await waitFor(() => subscribers.every((s) => s.snapshots > 0), {
    timeoutMs: SUBSCRIBE_TIMEOUT_MS,
    intervalMs: 200,
    what: `${n} snapshots`,
  });
  const subscribedSeconds = (performance.now() - connectStarted) / 1000;
  const { subscribers: subscribedCount } = (await (
    await fetch(services.deliveryStatsUrl)
  ).json()) as { subscribers: number };
  const after = usage(services.pids);

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
      { shipmentId, input: { status: step.status, location: step.location } },
      courier,
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
    steps.push({
      name: step.name,
      status: step.status,
      received: latencies.count,
      latency: latencies.summary(0),
    });
  }
  const loadAfter = os.loadavg()[0]!;
  const done = usage(services.pids);

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

  const cpuPerMessage = (name: 'router' | 'delivery') =>
    (((done[name].cpuMs - after[name].cpuMs) * 1000) / (n * plan.length)).toFixed(1);
  const perConnection = (name: 'router' | 'delivery') =>
    ((after[name].rssKiB - before[name].rssKiB) / n).toFixed(1);
  const row = (s: Step) => [
    s.name,
    `${s.received} / ${n}`,
    ms(s.latency.p50),
    ms(s.latency.p99),
    ms(s.latency.max),
  ];
  const measured = steps.slice(1);
  const all = {
    p50: Math.max(...measured.map((s) => s.latency.p50)),
    p99: Math.max(...measured.map((s) => s.latency.p99)),
    max: Math.max(...measured.map((s) => s.latency.max)),
  };
  const notes = [
    `Subscribers: ${n} graphql-ws clients (one socket each, the order's customer's token in connection_init), opened in batches of ${BATCH}: all connected (connection_ack) after ${connectSeconds.toFixed(1)} s; every one had its opening snapshot after ${subscribedSeconds.toFixed(1)} s, when delivery held ${subscribedCount} subscriptions.`,
    `Latency = time the client received the step − time the courier's recordTrackingEvent was sent to the router (one clock: the clients and the courier run in this process). Over the ${EVENTS} measured steps: worst p50 ${ms(all.p50)} ms, worst p99 ${ms(all.p99)} ms, max ${ms(all.max)} ms.`,
    `Memory per idle connection (VmRSS after all subscribed, before the first step − before the first client, / ${n}): router ${perConnection('router')} KiB (${mib(before.router.rssKiB)} → ${mib(after.router.rssKiB)} MiB), delivery ${perConnection('delivery')} KiB (${mib(before.delivery.rssKiB)} → ${mib(after.delivery.rssKiB)} MiB).`,
    `CPU per delivered event (user + system, from the first step to the last, / ${n * plan.length} messages): router ${cpuPerMessage('router')} µs, delivery ${cpuPerMessage('delivery')} µs.`,
    `Open file descriptors: router ${before.router.fds} → ${after.router.fds}, delivery ${before.delivery.fds} → ${after.delivery.fds} (the router relays every subscription over its few shared upstream sockets).`,
    `Every message checked: no errors, the step's status, the tracking number and the order's total (${expected.amount}) from orders. Load average (1 min) ${loadBefore.toFixed(2)} before the clients, ${loadAfter.toFixed(2)} after the last step: the machine is shared, so figures vary from run to run.`,
  ].join('\n');
  return appendSection(
    'subscriptions.md',
    'Benchmark: deliveryUpdated fan-out through the router',
    {
      command,
      load: `${n} subscribers to one order's deliveryUpdated through the router, ${EVENTS} tracking steps ${GAP_MS / 1000} s apart after one warm-up step; the clients and the courier in this process; users, products, cart, orders, delivery and the router each in a process of its own on this machine, with PostgreSQL and Redis.`,
      columns: ['step', 'received', 'p50', 'p99', 'max'],
      rows: steps.map(row),
      notes,
    },
  );
}

/** One app: its socket to the router and its subscription, recording each arrival. */
function open(
  url: string,
  authorization: string,
  orderId: string,
  expected: { trackingNumber: string; amount: number },
): { subscriber: Subscriber; connected: Promise<void> } {
  let onConnected: () => void = () => undefined;
  let onFailed: (error: Error) => void = () => undefined;
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onFailed = reject;
  });
  const subscriber: Subscriber = {
    client: createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          const problem = `socket closed: ${code} ${String(reason)}`;
          onFailed(new Error(problem));
          subscriber.problems.push(problem);
        },
      },
      onNonLazyError: () => undefined,
    }),
    received: [],
    snapshots: 0,
    problems: [],
  };
  subscriber.client.subscribe(
    { query: DELIVERY_UPDATED, variables: { orderId } },
    {
      next: (message) => {
        const at = performance.now();
        const update = (message.data as { deliveryUpdated?: DeliveryUpdate } | null)
          ?.deliveryUpdated;
        // Where the order stands when the subscription starts: not a step of this run.
        if (update?.snapshot) subscriber.snapshots++;
        else subscriber.received.push(at);
        if (message.errors?.length) {
          subscriber.problems.push(`errors: ${JSON.stringify(message.errors).slice(0, 300)}`);
        } else if (
          update?.shipment?.trackingNumber !== expected.trackingNumber ||
          update?.shipment?.order?.total?.amount !== expected.amount ||
          typeof update?.event?.status !== 'string'
        ) {
          subscriber.problems.push(`unexpected event: ${JSON.stringify(message).slice(0, 300)}`);
        }
      },
      error: (error) =>
        subscriber.problems.push(`subscription error: ${JSON.stringify(error).slice(0, 300)}`),
      complete: () => subscriber.problems.push('subscription completed early'),
    },
  );
  return { subscriber, connected };
}

async function closeAll(subscribers: Subscriber[]): Promise<void> {
  for (let first = 0; first < subscribers.length; first += BATCH) {
    await Promise.all(subscribers.slice(first, first + BATCH).map((s) => s.client.dispose()));
  }
}

/** Resident memory and open file descriptors of each process, from /proc. */
function usage(pids: Services['pids']): Record<keyof Services['pids'], ProcessUse> {
  const of = (pid: number): ProcessUse => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (!rss) throw new Error(`no VmRSS for process ${pid}`);
    // utime and stime, the 14th and 15th fields, in clock ticks (100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [utime, stime] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 13);
    return {
      rssKiB: Number(rss),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      cpuMs: (Number(utime) + Number(stime)) * 10,
    };
  };
  return { router: of(pids.router), delivery: of(pids.delivery) };
}

function ms(value: number): string {
  return value.toFixed(1);
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}
