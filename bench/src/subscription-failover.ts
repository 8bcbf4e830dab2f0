// Failover of live tracking: N graphql-ws clients follow one order through the router, whose
// delivery address is a Service in front of two delivery replicas (a TCP proxy here). The
// replica holding the router's upstream sockets is killed (SIGKILL) between two steps, the
// address then leads to the other one, and the courier goes on recording steps. Every
// client must keep its subscription (no error, no complete) and miss no step: each step
// recorded after the kill arrives live or in the snapshot that opens the moved subscription.
//   npm run bench -- failover [--subscribers N] [--groups G]
//
// The clients follow the order as G identities (the customer and G − 1 couriers): the
// router shares one upstream subscription per identity, so G subscriptions move.
// users, products, cart, orders, both delivery replicas and the router each run in a
// process of their own; the clients, the courier and the proxy in this one.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Client } from 'graphql-ws';
import { RECORD } from '@shop/delivery/testing';
import {
  deleteKeys,
  startTcpProxy,
  testKeyPrefix,
  waitFor,
  type TcpProxy,
} from '@shop/test-harness';
import { Shop } from '../../e2e/src/shop';
import { appendSection } from './harness';
import { Latencies } from './latency';
import { type Child } from './processes/child';
import {
  closeAll,
  connectAll,
  open,
  type Subscriber,
  type SubscriberSpec,
} from './subscription-clients';
import { mib, processUse as usage, startTrackingStack } from './subscription-stack';

export interface FailoverOptions {
  subscribers: number;
  /** Distinct identities the clients are spread over; 50 when absent. */
  groups?: number;
}

const TRACKED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) { snapshot event { status location } }
}`;
/** Steps before the kill, and after it. */
const STEPS_BEFORE = 2;
const STEPS_AFTER = 3;
const GAP_MS = 1_000;
const WAIT_MS = 60_000;

interface Services {
  routerUrl: string;
  proxy: TcpProxy;
  replicas: { url: string; pid: number; stop: () => Promise<void> }[];
  routerPid: number;
}

export async function benchSubscriptionFailover(
  options: FailoverOptions,
  command: string,
): Promise<string> {
  const n = options.subscribers;
  const groups = Math.min(options.groups ?? 50, n);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(groups) || groups < 1) {
    throw new Error('--subscribers and --groups must be whole numbers of at least 1');
  }
  const children: Child<unknown>[] = [];
  const queuePrefix = testKeyPrefix('bench-failover').replace(/:$/, '');
  const subscribers: Subscriber[] = [];
  let proxy: TcpProxy | undefined;
  const others: Client[] = [];
  try {
    const services = await startServices(children, queuePrefix);
    proxy = services.proxy;
    return await run(services, subscribers, others, n, groups, command);
  } finally {
    await Promise.all(others.map(async (client) => client.dispose()));
    await closeAll(subscribers);
    for (const child of children.reverse()) await child.stop();
    await proxy?.close();
    await deleteKeys(`${queuePrefix}:`);
  }
}

/** The shop with two delivery replicas behind one address (a TCP proxy, as a Service). */
async function startServices(children: Child<unknown>[], queuePrefix: string): Promise<Services> {
  let proxy: TcpProxy | undefined;
  let second: Child<{ url: string }> | undefined;
  const stack = await startTrackingStack(children, queuePrefix, {
    usersEnv: {
      // The couriers are signed up and in from this one address, the admin once for each.
      LOGIN_MAX_ATTEMPTS_PER_EMAIL: '1000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '1000',
      REGISTRATIONS_PER_IP_PER_HOUR: '1000',
    },
    deliveryAddress: async (first, start) => {
      second = await start<{ url: string }>('delivery-replica.ts', { config: first.info.config });
      proxy = await startTcpProxy(addressOf(first.info.url));
      return `http://127.0.0.1:${proxy.port}/graphql`;
    },
  });
  const first = children.find((c) => c.pid === stack.pids.delivery)!;
  return {
    routerUrl: stack.routerUrl,
    proxy: proxy!,
    replicas: [first, second!].map((c) => ({
      url: (c.info as { url: string }).url,
      pid: c.pid,
      stop: c.stop,
    })),
    routerPid: stack.pids.router,
  };
}

async function run(
  services: Services,
  subscribers: Subscriber[],
  others: Client[],
  n: number,
  groups: number,
  command: string,
): Promise<string> {
  const shop = new Shop(services.routerUrl);
  const customer = await shop.shopper();
  const paid = await shop.paidOrder(customer, 1);
  const order = await shop.orderOnceReady(
    customer,
    paid.orderId,
    'shipment { id status }',
    (o) => o.shipment?.status === 'LABEL_CREATED',
    'the paid order to get its shipment and label',
  );
  const shipmentId = order.shipment.id as string;
  // The customer and G − 1 couriers: G identities, so G upstream subscriptions.
  const tokens = [customer.token];
  while (tokens.length < groups) tokens.push(await shop.courier());
  const courier = tokens[1] ?? (await shop.courier());

  const follow = (token: string): SubscriberSpec => ({
    authorization: `Bearer ${token}`,
    query: TRACKED,
    variables: { orderId: paid.orderId },
    check: () => undefined,
  });
  await connectAll(
    services.routerUrl.replace(/^http/, 'ws'),
    Array.from({ length: n }, (_, i) => follow(tokens[i % tokens.length]!)),
    subscribers,
  );
  await waitFor(() => subscribers.every((s) => s.messages.some((m) => m.snapshot)), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
    what: `${n} opening snapshots`,
  });
  // A live replica serves clients of its own: one follows the order on the second directly,
  // so its token check, database pool and channel are warm, as they would be.
  const direct = open(services.replicas[1]!.url.replace(/^http/, 'ws'), follow(customer.token));
  others.push(direct.subscriber.client);
  await direct.connected;
  await waitFor(() => direct.subscriber.messages.some((m) => m.snapshot), {
    timeoutMs: WAIT_MS,
    what: 'the second replica warm',
  });
  const routerBefore = usage(services.routerPid);
  const loadBefore = os.loadavg()[0]!;

  const sent = new Map<string, number>();
  // Picked up at the first hub, in transit through the others.
  const step = async (location: string) => {
    const status = sent.size === 0 ? 'PICKED_UP' : 'IN_TRANSIT';
    sent.set(location, performance.now());
    await shop.ok(RECORD, { shipmentId, input: { status, location } }, courier);
  };
  const reached = (location: string) =>
    subscribers.filter((s) => s.messages.some((m) => m.location === location)).length;

  for (let k = 1; k <= STEPS_BEFORE; k++) {
    await step(`Hub ${k}`);
    await waitFor(() => reached(`Hub ${k}`) === n, { timeoutMs: WAIT_MS, what: `Hub ${k}` });
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }

  // The crash: the replica dies without a word; the Service leads to the other one.
  const killedAt = performance.now();
  const killed = services.replicas[0]!;
  process.kill(killed.pid, 'SIGKILL');
  services.proxy.retarget(addressOf(services.replicas[1]!.url));
  const snapshotsBefore = subscribers.map((s) => s.messages.filter((m) => m.snapshot).length);
  for (let k = STEPS_BEFORE + 1; k <= STEPS_BEFORE + STEPS_AFTER; k++) {
    // The courier's app retries a step that the dying replica could not take.
    await waitFor(
      () =>
        step(`Hub ${k}`).then(
          () => true,
          () => false,
        ),
      { timeoutMs: WAIT_MS, intervalMs: 100, what: `Hub ${k} recorded` },
    );
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  const last = `Hub ${STEPS_BEFORE + STEPS_AFTER}`;
  await waitFor(() => reached(last) === n, { timeoutMs: WAIT_MS, what: last }).catch(
    () => undefined,
  );
  const loadAfter = os.loadavg()[0]!;
  const routerAfter = usage(services.routerPid);

  // Failover time: from the kill to the client's next snapshot.
  const failover = new Latencies();
  subscribers.forEach((s, i) => {
    const moved = s.messages.filter((m) => m.snapshot)[snapshotsBefore[i]!];
    if (moved) failover.add(moved.at - killedAt);
  });
  const rows: (string | number)[][] = [];
  let missed = 0;
  for (let k = 1; k <= STEPS_BEFORE + STEPS_AFTER; k++) {
    const location = `Hub ${k}`;
    const latencies = new Latencies();
    let viaSnapshot = 0;
    for (const s of subscribers) {
      const live = s.messages.find((m) => m.location === location && !m.snapshot);
      const snapshot = s.messages.find((m) => m.location === location && m.snapshot);
      if (live) latencies.add(live.at - sent.get(location)!);
      else if (snapshot) viaSnapshot++;
      else missed++;
    }
    const summary = latencies.summary(0);
    rows.push([
      `${location}${k > STEPS_BEFORE ? ' (after the kill)' : ''}`,
      `${latencies.count} / ${n}`,
      viaSnapshot,
      summary.p50.toFixed(1),
      summary.p99.toFixed(1),
      summary.max.toFixed(1),
    ]);
  }
  const ended = subscribers.filter((s) => s.problems.length > 0).length;
  const moved = failover.summary(0);
  const notes = [
    `Subscriptions ended (error or complete): ${ended} of ${n}. Steps missed (neither live nor in a snapshot): ${missed}.`,
    `Failover (the kill → the client's snapshot from the other replica): ${failover.count} of ${n} clients, p50 ${moved.p50.toFixed(0)} ms, p99 ${moved.p99.toFixed(0)} ms, max ${moved.max.toFixed(0)} ms. "in snapshot" counts clients for which the step was recorded while their subscription moved, so it reached them in the snapshot, not live.`,
    `Router: ${mib(routerBefore.rssKiB)} → ${mib(routerAfter.rssKiB)} MiB resident, ${routerBefore.fds} → ${routerAfter.fds} open file descriptors (before the first step → after the last).`,
    `Load average (1 min) ${loadBefore.toFixed(2)} before the first step, ${loadAfter.toFixed(2)} after the last: the machine is shared, so figures vary from run to run.`,
    ...[...new Set(subscribers.flatMap((s) => s.problems))].slice(0, 3).map((p) => `Problem: ${p}`),
  ].join('\n');
  return appendSection('subscription-failover.md', 'Benchmark: deliveryUpdated failover', {
    command,
    load: `${n} clients through the router on one order as ${groups} identities (${groups} upstream subscriptions), delivery behind one address with two replicas; ${STEPS_BEFORE} steps, then the replica holding the router's sockets killed (SIGKILL) and the address led to the other, then ${STEPS_AFTER} steps, ${GAP_MS / 1000} s apart; the second replica warm (one client of its own follows the order on it directly); SUBSCRIPTION_FAILOVER_MS at its default.`,
    columns: ['step', 'received live', 'in snapshot', 'p50', 'p99', 'max'],
    rows,
    notes,
  });
}

function addressOf(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}
