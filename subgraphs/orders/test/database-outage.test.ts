import { randomUUID } from 'node:crypto';
import net from 'node:net';
import Stripe from 'stripe';
import { createLogger } from '@shop/logging';
import type { RunningSubgraph } from '@shop/subgraph-kit';
import { graphql, startTcpProxy, startTokenIssuer, type TokenIssuer } from '@shop/test-harness';
import type { OrdersConfig } from '../src/config';
import { startOrdersService } from '../src/server';
import { CANCEL_ORDER, CHECKOUT, MY_ORDERS, ORDER, ORDER_ENTITIES } from './support/operations';
import { startOrdersFixture, WEBHOOK_SECRET, type OrdersFixture } from './support/orders-service';

// The orders database "down" without touching the PostgreSQL server everyone shares:
// services pointed at a port nobody listens on, at a host that accepts connections and
// never answers, and at a proxy that is closed while the service is running.

const CONNECT_TIMEOUT_MS = 1000;
/** Well above the connect timeout, far below anything a client would wait for. */
const FAST_MS = 4000;

/** A host that takes the TCP connection and then says nothing, like a hung server. */
async function startSilentHost() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago: nothing listens there. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let issuer: TokenIssuer;
let fixture: OrdersFixture;
const extra: RunningSubgraph[] = [];
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await startTokenIssuer();
  // Nothing here gets as far as users, products or cart: the database fails first.
  const nowhere = `http://127.0.0.1:${await unusedPort()}/graphql`;
  fixture = await startOrdersFixture(
    {
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      usersUrl: nowhere,
      productsUrl: nowhere,
      cartUrl: nowhere,
    },
    { ORDERS_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) },
  );
}, 120_000);
/**
 * Stops one part, but waits at most 15 s: a service that cannot stop while its database is
 * unreachable must fail this file with its name, not hang the test run.
 */
async function stopWithin(what: string, stop: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not stop within 15 s`)), 15_000);
  });
  try {
    await Promise.race([stop(), late]);
  } finally {
    clearTimeout(timer);
  }
}

afterAll(async () => {
  const results = await Promise.allSettled([
    ...extra.map((s, i) => stopWithin(`orders service #${i + 1}`, () => s.stop())),
    ...stoppers.map((stop, i) => stopWithin(`network stand-in #${i + 1}`, stop)),
  ]);
  await fixture?.stop();
  await issuer?.stop();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);

/** Another orders process, configured like the fixture but with this database URL. */
async function ordersAt(port: number): Promise<RunningSubgraph> {
  const url = new URL(fixture.config.ORDERS_DATABASE_URL);
  url.host = `127.0.0.1:${port}`;
  const config: OrdersConfig = {
    ...fixture.config,
    ORDERS_DATABASE_URL: url.toString(),
    // HTTP and the database only: these services have no queue work to test, and closing
    // a BullMQ worker's blocking Redis connection took most of the 15 s stop bound on a busy
    // CI machine (three services stopping at once).
    WORKERS_ENABLED: false,
  };
  const service = await startOrdersService(config, createLogger('orders', 'silent'));
  extra.push(service);
  return service;
}

/** Sends an operation and says how long the answer took. */
async function timed(service: RunningSubgraph, query: string, variables = {}, token?: string) {
  const started = Date.now();
  const res = await graphql<Record<string, any>>(service.url, query, variables, { token });
  return { res, ms: Date.now() - started };
}

/** Every operation that reads or writes orders, as a customer would send it. */
function operations(): [string, string, Record<string, unknown>, string | undefined][] {
  const customer = issuer.userToken();
  return [
    ['order', ORDER, { id: randomUUID() }, customer],
    ['myOrders', MY_ORDERS, {}, customer],
    ['_entities', ORDER_ENTITIES, { reps: [{ __typename: 'Order', id: randomUUID() }] }, undefined],
    ['cancelOrder', CANCEL_ORDER, { orderId: randomUUID() }, customer],
    [
      'checkout',
      CHECKOUT,
      {
        input: {
          paymentMethod: 'STRIPE',
          shippingAddressId: randomUUID(),
          idempotencyKey: randomUUID(),
        },
      },
      customer,
    ],
  ];
}

async function expectUnavailable(service: RunningSubgraph) {
  for (const [name, query, variables, token] of operations()) {
    const { res, ms } = await timed(service, query, variables, token);
    expect({ name, errors: res.errors?.map((e) => e.extensions) }).toEqual({
      name,
      errors: [{ code: 'SERVICE_UNAVAILABLE', retryable: true }],
    });
    expect({ name, fast: ms < FAST_MS }).toEqual({ name, fast: true });
  }
}

async function probe(service: RunningSubgraph, path: string) {
  const response = await fetch(service.url.replace(/\/graphql$/, path));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('orders with its PostgreSQL unreachable', () => {
  it('a port where nothing listens: SERVICE_UNAVAILABLE at once, and the process stays up', async () => {
    const service = await ordersAt(await unusedPort());
    await expectUnavailable(service);
    expect((await probe(service, '/readyz')).status).toBe(503);
    expect((await probe(service, '/healthz')).status).toBe(200);

    // A signed payment webhook is not applied either: 503, so Stripe delivers it again.
    const payload = JSON.stringify({
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: 'pi_outage', amount: 3000, currency: 'eur' } },
    });
    const header = new Stripe('sk_test_signer').webhooks.generateTestHeaderString({
      payload,
      secret: WEBHOOK_SECRET,
    });
    const webhook = await fetch(service.url.replace(/\/graphql$/, '/webhooks/stripe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    expect(webhook.status).toBe(503);
    expect(await webhook.json()).toEqual({
      error: expect.any(String),
      code: 'SERVICE_UNAVAILABLE',
    });
  }, 60_000);

  it('a host that accepts and never answers: SERVICE_UNAVAILABLE once the connect timeout is over', async () => {
    const silent = await startSilentHost();
    stoppers.push(silent.stop);
    const service = await ordersAt(silent.port);
    await expectUnavailable(service);
  }, 60_000);

  it('a connection cut while the service runs: SERVICE_UNAVAILABLE, then it recovers on its own', async () => {
    const target = new URL(fixture.config.ORDERS_DATABASE_URL);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const service = await ordersAt(proxy.port);
    const token = issuer.userToken();
    const before = await timed(service, MY_ORDERS, {}, token);
    expect(before.res.data!.myOrders).toMatchObject({ totalCount: 0 });

    await proxy.close();
    await expectUnavailable(service);

    // The same port serves again (PostgreSQL is back): no restart needed.
    await proxy.reopen();
    stoppers.push(proxy.close);
    const after = await timed(service, MY_ORDERS, {}, token);
    expect(after.res.errors).toBeUndefined();
  }, 60_000);
});
