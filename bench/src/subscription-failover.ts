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
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  deleteKeys,
  startTcpProxy,
  testKeyPrefix,
  waitFor,
  type TcpProxy,
} from '@shop/test-harness';
import { Shop } from '../../e2e/src/shop';
import { DELIVERY_OAUTH_CLIENT } from '../../subgraphs/delivery/test/support/delivery-service';
import { RECORD } from '../../subgraphs/delivery/test/support/operations';
import { ORDERS_OAUTH_CLIENTS } from '../../subgraphs/orders/test/support/orders-service';
import { appendSection } from './harness';
import { Latencies } from './latency';
import { startChild, type Child } from './processes/child';

export interface FailoverOptions {
  subscribers: number;
  /** Distinct identities the clients are spread over; 50 when absent. */
  groups?: number;
}

const TRACKED = `subscription Track($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) { snapshot event { status location } }
}`;
const BATCH = 250;
/** Steps before the kill, and after it. */
const STEPS_BEFORE = 2;
const STEPS_AFTER = 3;
const GAP_MS = 1_000;
const WAIT_MS = 60_000;

interface Message {
  at: number;
  snapshot: boolean;
  location?: string;
}

interface Subscriber {
  client: Client;
  messages: Message[];
  problems: string[];
}

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
    await Promise.all(others.map((client) => client.dispose()));
    for (let first = 0; first < subscribers.length; first += BATCH) {
      await Promise.all(subscribers.slice(first, first + BATCH).map((s) => s.client.dispose()));
    }
    for (const child of children.reverse()) await child.stop();
    await proxy?.close();
    await deleteKeys(`${queuePrefix}:`);
  }
}

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
        OAUTH_CLIENTS: [ORDERS_OAUTH_CLIENTS, DELIVERY_OAUTH_CLIENT].join(','),
        ACCESS_TOKEN_TTL_SECONDS: '3600',
        // The couriers are signed up and in from this one address, the admin once for each.
        LOGIN_MAX_ATTEMPTS_PER_EMAIL: '1000',
        LOGIN_MAX_ATTEMPTS_PER_IP: '1000',
        REGISTRATIONS_PER_IP_PER_HOUR: '1000',
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
  const first = await start<{ url: string; config: Record<string, string> }>('delivery.ts', {
    neighbours: {
      jwksUrl,
      issuer,
      audience,
      ordersUrl: orders.info.url,
      oauthTokenUrl: users.info.url.replace(/\/graphql$/, '/oauth/token'),
    },
    env: shared,
  });
  const second = await start<{ url: string }>('delivery-replica.ts', { config: first.info.config });
  const proxy = await startTcpProxy(addressOf(first.info.url));
  const router = await start<{ url: string }>('router.ts', {
    ...trust,
    USERS_SUBGRAPH_URL: users.info.url,
    PRODUCTS_SUBGRAPH_URL: products.info.url,
    CART_SUBGRAPH_URL: cart.info.url,
    ORDERS_SUBGRAPH_URL: orders.info.url,
    DELIVERY_SUBGRAPH_URL: `http://127.0.0.1:${proxy.port}/graphql`,
  });
  return {
    routerUrl: router.info.url,
    proxy,
    replicas: [first, second].map((c) => ({ url: c.info.url, pid: c.pid, stop: c.stop })),
    routerPid: router.pid,
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

  const wsUrl = services.routerUrl.replace(/^http/, 'ws');
  for (let first = 0; first < n; first += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = first; i < Math.min(n, first + BATCH); i++) {
      const opened = open(wsUrl, tokens[i % tokens.length]!, paid.orderId);
      subscribers.push(opened.subscriber);
      batch.push(opened.connected);
    }
    await Promise.all(batch);
  }
  await waitFor(() => subscribers.every((s) => s.messages.some((m) => m.snapshot)), {
    timeoutMs: WAIT_MS,
    intervalMs: 100,
    what: `${n} opening snapshots`,
  });
  // A live replica serves clients of its own: one follows the order on the second directly,
  // so its token check, database pool and channel are warm, as they would be.
  const direct = open(
    services.replicas[1]!.url.replace(/^http/, 'ws'),
    customer.token,
    paid.orderId,
  );
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

function open(
  url: string,
  token: string,
  orderId: string,
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
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          onFailed(new Error(`socket closed: ${code} ${String(reason)}`));
        },
      },
      onNonLazyError: () => undefined,
    }),
    messages: [],
    problems: [],
  };
  subscriber.client.subscribe(
    { query: TRACKED, variables: { orderId } },
    {
      next: (message) => {
        const at = performance.now();
        const update = (
          message.data as {
            deliveryUpdated?: { snapshot?: boolean; event?: { location?: string | null } };
          } | null
        )?.deliveryUpdated;
        if (message.errors?.length) {
          subscriber.problems.push(`errors: ${JSON.stringify(message.errors).slice(0, 200)}`);
        }
        subscriber.messages.push({
          at,
          snapshot: update?.snapshot === true,
          location: update?.event?.location ?? undefined,
        });
      },
      error: (error) =>
        subscriber.problems.push(`subscription error: ${JSON.stringify(error).slice(0, 200)}`),
      complete: () => subscriber.problems.push('subscription completed'),
    },
  );
  return { subscriber, connected };
}

function addressOf(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

function usage(pid: number): { rssKiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return { rssKiB: Number(rss ?? 0), fds: readdirSync(`/proc/${pid}/fd`).length };
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}
