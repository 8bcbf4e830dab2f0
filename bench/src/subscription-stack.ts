// The live-tracking benchmarks' shop: users, products, cart, orders, delivery and the router,
// each in a process of its own (products and cart because orders are placed and paid through
// the real checkout), orders and delivery sharing a BullMQ prefix so a paid order gets its
// shipment and label. Shared by the subscriptions and failover benchmarks.
import { readdirSync, readFileSync } from 'node:fs';
import { DELIVERY_OAUTH_CLIENT } from '@shop/delivery/testing';
import { ORDERS_OAUTH_CLIENTS } from '@shop/orders/testing';
import { processSeconds } from './cpu';
import { startChild, type Child } from './processes/child';
import type { LoopReading } from './processes/loop-monitor';
import { clearProfiles, profilerOptions } from './profile';

export interface UsersInfo {
  url: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The PEM file of users' signing key, so a benchmark can sign many clients' tokens. */
  signingKeyFile: string;
}

export interface DeliveryInfo {
  url: string;
  statsUrl: string;
  databaseUrl: string;
  config: Record<string, string>;
}

export interface TrackingStack {
  routerUrl: string;
  /** Answers the router's memory after a full garbage collection (routerMemory). */
  routerMemoryUrl: string;
  users: UsersInfo;
  orders: { url: string; databaseUrl: string };
  delivery: DeliveryInfo;
  pids: { router: number; delivery: number; orders: number };
}

export interface StackOptions {
  /** Each service under V8's sampling profiler (profile.ts), for `npm run profile`. */
  profile?: boolean;
  /** Further environment for users (e.g. login limits for benchmarks that sign many in). */
  usersEnv?: Record<string, string>;
  /**
   * Where the router reaches delivery; delivery's own address when absent. The failover
   * benchmark puts a second replica and a proxy in front of it here.
   */
  deliveryAddress?: (
    delivery: Child<DeliveryInfo>,
    start: <T>(script: string, input: Record<string, unknown>) => Promise<Child<T>>,
  ) => Promise<string>;
}

/** Starts the shop; every process started is pushed on `children` (stop them in reverse). */
export async function startTrackingStack(
  children: Child<unknown>[],
  queuePrefix: string,
  options: StackOptions = {},
): Promise<TrackingStack> {
  if (options.profile) clearProfiles();
  const start = async <T>(
    script: string,
    input: Record<string, unknown>,
    nodeOptions: string[] = [],
  ): Promise<Child<T>> => {
    const profiling = options.profile ? profilerOptions(script.replace(/\.ts$/, '')) : [];
    const child = await startChild<T>(script, input, [...nodeOptions, ...profiling]);
    children.push(child as Child<unknown>);
    return child;
  };
  const users = await start<UsersInfo>('users.ts', {
    env: {
      // orders reads addresses and reserves stock; delivery asks orders who owns an order.
      OAUTH_CLIENTS: [ORDERS_OAUTH_CLIENTS, DELIVERY_OAUTH_CLIENT].join(','),
      // The clients' tokens must outlive the run: the router closes a socket at its expiry.
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      ...options.usersEnv,
    },
  });
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
  const orders = await start<{ url: string; databaseUrl: string }>('orders.ts', {
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
  const delivery = await start<DeliveryInfo>('delivery.ts', {
    neighbours: {
      jwksUrl,
      issuer,
      audience,
      ordersUrl: orders.info.url,
      oauthTokenUrl: users.info.url.replace(/\/graphql$/, '/oauth/token'),
    },
    env: shared,
  });
  const deliveryUrl = options.deliveryAddress
    ? await options.deliveryAddress(delivery, start)
    : delivery.info.url;
  const router = await start<{ url: string; memoryUrl: string }>(
    'router.ts',
    {
      ...trust,
      USERS_SUBGRAPH_URL: users.info.url,
      PRODUCTS_SUBGRAPH_URL: products.info.url,
      CART_SUBGRAPH_URL: cart.info.url,
      ORDERS_SUBGRAPH_URL: orders.info.url,
      DELIVERY_SUBGRAPH_URL: deliveryUrl,
    },
    // So that memory per connection can be read after a full collection (routerMemory).
    ['--expose-gc'],
  );
  return {
    routerUrl: router.info.url,
    routerMemoryUrl: router.info.memoryUrl,
    users: users.info,
    orders: orders.info,
    delivery: delivery.info,
    pids: { router: router.pid, delivery: delivery.pid, orders: orders.pid },
  };
}

/** The router's memory in KiB after a full garbage collection: what it really keeps. */
export async function routerMemory(
  stack: TrackingStack,
): Promise<{ rssKiB: number; heapKiB: number; externalKiB: number }> {
  const memory = (await (await fetch(stack.routerMemoryUrl)).json()) as {
    collected: boolean;
    rss: number;
    heapUsed: number;
    external: number;
  };
  if (!memory.collected) throw new Error('the router runs without --expose-gc');
  return {
    rssKiB: memory.rss / 1024,
    heapKiB: memory.heapUsed / 1024,
    externalKiB: memory.external / 1024,
  };
}

/** The router's event-loop delay since the last reading (or since it started). */
/** The event-loop delay and GC pauses of the router and delivery since their last reading. */
export async function loopReadings(
  stack: TrackingStack,
): Promise<{ router: LoopReading; delivery: LoopReading }> {
  const read = async (url: URL) => (await (await fetch(url)).json()) as LoopReading;
  const [router, delivery] = await Promise.all([
    read(new URL('/loop', stack.routerMemoryUrl)),
    read(new URL('/loop', stack.delivery.statsUrl)),
  ]);
  return { router, delivery };
}

export interface ProcessUse {
  rssKiB: number;
  fds: number;
  /** User + system CPU time so far, in milliseconds. */
  cpuMs: number;
}

/** Resident memory, open file descriptors and CPU time of a process, from /proc. */
export function processUse(pid: number): ProcessUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!rss) throw new Error(`no VmRSS for process ${pid}`);
  return {
    rssKiB: Number(rss),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    cpuMs: processSeconds(pid) * 1000,
  };
}

/** processUse of each named process. */
export function usageOf<K extends string>(pids: Record<K, number>): Record<K, ProcessUse> {
  const out = {} as Record<K, ProcessUse>;
  for (const name of Object.keys(pids) as K[]) out[name] = processUse(pids[name]);
  return out;
}

export function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}
