// Distributed tracing across real processes: every service is a process of its own, started
// with the OpenTelemetry SDK (packages/telemetry) and exporting OTLP/HTTP JSON to a receiver
// in this test. One purchase — checkout, Stripe webhook, label job, e-mails — must read back
// as connected traces: the checkout's through router, orders, cart, users and products; the
// payment's from the router's webhook relay through orders and products, over the outbox and
// BullMQ into the delivery worker, on to the notifications worker, which asks users.
// A deliveryUpdated subscription relayed by the router joins delivery to the router's trace.
// Then a tracing backend that is down: the exporter aims at a closed port and requests are
// answered all the same.
import net from 'node:net';
import path from 'node:path';
import {
  deleteKeys,
  graphql,
  REPO_ROOT,
  subscribe,
  testKeyPrefix,
  waitFor,
  wsClient,
} from '@shop/test-harness';
import { startChild, type Child } from '../../bench/src/processes/child';
import { DELIVERY_OAUTH_CLIENT } from '@shop/delivery/testing';
import {
  NOTIFICATIONS_CLIENT,
  startSmtpServer,
  type SmtpTestServer,
} from '@shop/notifications/testing';
import { ORDERS_OAUTH_CLIENTS } from '@shop/orders/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../src/otlp-receiver';
import { Shop } from '../src/shop';

/** Loads tsx, then starts tracing before the child's script loads anything it patches. */
const TRACED = [
  '--import',
  'tsx',
  '--import',
  path.join(REPO_ROOT, 'packages/telemetry/src/preload.ts'),
];

interface UsersInfo {
  url: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
}

/** What every traced child gets: export to `endpoint` as OTLP/HTTP JSON. */
function exportTo(endpoint: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Spans reach the receiver a moment after they end, not 5 s later.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
  };
}

describe('one purchase as traces', () => {
  let receiver: OtlpReceiver;
  let mailbox: SmtpTestServer;
  const children: Child<unknown>[] = [];
  const queuePrefix = testKeyPrefix('tracing').replace(/:$/, '');
  let routerUrl: string;

  async function child<T>(script: string, input: Record<string, unknown>): Promise<Child<T>> {
    const started = await startChild<T>(script, input, TRACED, exportTo(receiver.url));
    children.push(started as Child<unknown>);
    return started;
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    mailbox = await startSmtpServer();
    const shared = { QUEUE_PREFIX: queuePrefix, OUTBOX_POLL_INTERVAL_MS: '50' };
    const notificationsClient = `${NOTIFICATIONS_CLIENT.id}:${NOTIFICATIONS_CLIENT.secret}:${NOTIFICATIONS_CLIENT.scopes.join('+')}`;
    const users = await child<UsersInfo>('users.ts', {
      env: {
        OAUTH_CLIENTS: [ORDERS_OAUTH_CLIENTS, DELIVERY_OAUTH_CLIENT, notificationsClient].join(','),
        ...shared,
      },
    });
    const { url: usersUrl, jwksUrl, issuer, audience } = users.info;
    const oauthTokenUrl = usersUrl.replace(/\/graphql$/, '/oauth/token');
    const trust = { JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience };
    const products = await child<{ url: string }>('products.ts', {
      jwksUrl,
      issuer,
      audience,
      seed: false,
    });
    const cart = await child<{ url: string }>('cart.ts', {
      ...trust,
      PRODUCTS_URL: products.info.url,
    });
    const orders = await child<{ url: string }>('orders.ts', {
      neighbours: {
        jwksUrl,
        issuer,
        audience,
        usersUrl,
        productsUrl: products.info.url,
        cartUrl: cart.info.url,
      },
      env: shared,
    });
    const delivery = await child<{ url: string }>('delivery.ts', {
      neighbours: { jwksUrl, issuer, audience, ordersUrl: orders.info.url, oauthTokenUrl },
      env: shared,
    });
    const notifications = await child<{ url: string }>('../../../e2e/src/traced/notifications.ts', {
      neighbours: {
        jwksUrl,
        issuer,
        audience,
        usersUrl,
        oauthTokenUrl,
        oauthClientId: NOTIFICATIONS_CLIENT.id,
        oauthClientSecret: NOTIFICATIONS_CLIENT.secret,
        ordersUrl: orders.info.url,
        smtpUrl: mailbox.url,
        queuePrefix,
      },
    });
    const router = await child<{ url: string }>('router.ts', {
      ...trust,
      USERS_SUBGRAPH_URL: usersUrl,
      PRODUCTS_SUBGRAPH_URL: products.info.url,
      CART_SUBGRAPH_URL: cart.info.url,
      ORDERS_SUBGRAPH_URL: orders.info.url,
      DELIVERY_SUBGRAPH_URL: delivery.info.url,
      NOTIFICATIONS_SUBGRAPH_URL: notifications.info.url,
    });
    routerUrl = router.info.url;
  }, 180_000);

  afterAll(async () => {
    for (const started of children.reverse()) await started.stop();
    await mailbox?.stop();
    await receiver?.stop();
    await deleteKeys(`${queuePrefix}:`);
  }, 60_000);

  const servicesOf = (traceId: string) =>
    new Set(receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.service));
  const find = (match: (span: ReceivedSpan) => boolean) => receiver.spans.find(match);

  it('checkout → webhook → label job → e-mail reads back as connected traces', async () => {
    const shop = new Shop(routerUrl);
    const customer = await shop.shopper();
    // A product in the cart, checkout with Stripe, then Stripe's webhook: the order is PAID.
    const paid = await shop.paidOrder(customer);
    // The welcome and the order's confirmation reach the customer's mailbox.
    await waitFor(() => mailbox.received.filter((m) => m.to.includes(customer.email)).length >= 2, {
      timeoutMs: 30_000,
      what: 'the e-mails of the paid order',
    });

    // The checkout: the router's span is named after the operation, and its trace runs
    // through every subgraph checkout reads from, and on into the order.placed job.
    const checkoutSpan = await waitFor(
      () => find((s) => s.service === 'router' && s.name === 'mutation Checkout'),
      { timeoutMs: 15_000, what: "the router's checkout span" },
    );
    expect(checkoutSpan.kind).toBe(2);
    await waitFor(
      () =>
        ['router', 'orders', 'cart', 'users', 'products'].every((s) =>
          servicesOf(checkoutSpan.traceId).has(s),
        ),
      { timeoutMs: 15_000, what: 'the checkout trace in every service' },
    );
    const fetched = receiver.spans
      .filter((s) => s.traceId === checkoutSpan.traceId && s.name === 'gateway.fetch')
      .map((s) => s.attributes.service);
    expect(new Set(fetched)).toEqual(new Set(['orders']));
    await waitFor(
      () =>
        find(
          (s) =>
            s.traceId === checkoutSpan.traceId &&
            s.service === 'orders' &&
            s.name === 'process orders',
        ),
      { timeoutMs: 15_000, what: 'the order.placed job in the checkout trace' },
    );

    // The payment: Stripe's webhook comes in at the router, which relays it to orders; the
    // order.paid outbox row carries the trace to the delivery worker's label job, whose
    // shipment.updated row carries it on to the notifications worker.
    const labelJob = await waitFor(
      () => find((s) => s.service === 'delivery' && s.name === 'process delivery'),
      { timeoutMs: 15_000, what: 'the label job span' },
    );
    const webhookTrace = labelJob.traceId;
    await waitFor(
      () =>
        ['router', 'orders', 'products', 'delivery', 'notifications', 'users'].every((s) =>
          servicesOf(webhookTrace).has(s),
        ),
      { timeoutMs: 15_000, what: 'the payment trace in every service' },
    );
    // Stripe's webhook carries no trace: orders links the payment to the checkout instead.
    await waitFor(
      () =>
        receiver.spans.some(
          (s) =>
            s.traceId === webhookTrace &&
            s.service === 'orders' &&
            s.links.some((l) => l.traceId === checkoutSpan.traceId),
        ),
      { timeoutMs: 15_000, what: 'the payment linked to its checkout' },
    );
    const inTrace = receiver.spans.filter((s) => s.traceId === webhookTrace);
    // Rooted at the router: one span without a parent, the relay's HTTP server span.
    const roots = inTrace.filter((s) => s.parentSpanId === '');
    expect(roots.map((s) => [s.service, s.kind])).toEqual([['router', 2]]);
    // Two notification jobs in it: order.paid (the confirmation) and the label's
    // shipment.updated, written by the delivery worker while it ran in this trace.
    await waitFor(
      () =>
        receiver.spans.filter(
          (s) => s.traceId === webhookTrace && s.name === 'process notifications',
        ).length >= 2,
      { timeoutMs: 15_000, what: 'both notification jobs in the payment trace' },
    );
    expect(
      inTrace.some((s) => s.service === 'orders' && s.name === 'add delivery.order.paid'),
    ).toBe(true);
    // Every span's parent is in the trace (once the last parents are exported): nothing is
    // lost between the processes.
    await waitFor(
      () => {
        const spans = receiver.spans.filter((s) => s.traceId === webhookTrace);
        const ids = new Set(spans.map((s) => s.spanId));
        return spans.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId));
      },
      { timeoutMs: 15_000, what: 'every parent span of the payment trace' },
    );

    // A subscription through the router's relay: the upstream subscribe carries the
    // router's span in its extensions, and delivery's first read joins that trace.
    const client = wsClient(routerUrl, customer.token);
    const feed = subscribe(
      client,
      'subscription Track($orderId: ID!) { deliveryUpdated(orderId: $orderId) { snapshot } }',
      { orderId: paid.orderId },
    );
    expect((await feed.next())?.data).toEqual({ deliveryUpdated: { snapshot: true } });
    feed.unsubscribe();
    await client.dispose();
    const relayed = await waitFor(
      () =>
        find((s) => s.service === 'router' && s.name.startsWith('subscription ') && s.kind === 3),
      { timeoutMs: 15_000, what: "the router's upstream subscribe span" },
    );
    await waitFor(() => servicesOf(relayed.traceId).has('delivery'), {
      timeoutMs: 15_000,
      what: "delivery's part of the subscription trace",
    });
  }, 120_000);
});

describe('a tracing backend that is down', () => {
  let users: Child<UsersInfo>;

  beforeAll(async () => {
    // A port that was just free and is closed again: every export is refused.
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    users = await startChild<UsersInfo>(
      'users.ts',
      {},
      TRACED,
      exportTo(`http://127.0.0.1:${closed}`),
    );
  }, 60_000);

  afterAll(() => users?.stop());

  it('answers every request while each export is refused', async () => {
    const REGISTER = `mutation Register($input: RegisterInput!) {
      register(input: $input) { user { email } }
    }`;
    // Enough requests, over several export rounds, to fill and flush the span batches.
    for (let i = 0; i < 30; i += 1) {
      const email = `down-${i}-${Date.now()}@tracing.test`;
      const res = await graphql<{ register: { user: { email: string } } }>(
        users.info.url,
        REGISTER,
        { input: { email, password: 'a long enough password', name: `Down ${i}` } },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.register.user.email).toBe(email);
    }
  }, 60_000);
});
