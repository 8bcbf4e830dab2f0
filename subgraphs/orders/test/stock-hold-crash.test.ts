// orders dies between reserving stock and committing the order: the orders process is
// killed (SIGKILL) while its checkouts wait for Stripe, after products has reserved their
// units. Its transactions die with it, so no order exists; products must put the units back
// on sale by itself (the holds are never claimed) and refuse a late commit cleanly. An order
// that was written claims its hold through the outbox, and that hold stays.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ServiceTokenClient } from '@shop/auth';
import { graphql, startServiceProcess, waitFor, type ServiceProcess } from '@shop/test-harness';
import { CHECKOUT } from './support/operations';
import { neighboursOf, ordersEnvironment } from './support/orders-service';
import { startOrdersStack, type OrdersStack } from './support/stack';

const CLAIM_WINDOW_MS = 2000;
const COMMIT = `mutation Commit($orderId: ID!) { commitStock(orderId: $orderId) { status } }`;

let stack: OrdersStack;
let stripe: net.Server;
const stripeSockets = new Set<net.Socket>();
let doomed: ServiceProcess | undefined;
beforeAll(async () => {
  stack = await startOrdersStack(
    { OUTBOX_RELAY_ENABLED: 'true', OUTBOX_POLL_INTERVAL_MS: '50' },
    undefined,
    {
      productsEnv: {
        STOCK_HOLD_CLAIM_MS: String(CLAIM_WINDOW_MS),
        STOCK_HOLD_SWEEP_INTERVAL_MS: '100',
      },
    },
  );
  // A "Stripe" that accepts connections and never answers: checkouts stop right after
  // products reserved their stock, inside the still-open order transaction.
  stripe = net.createServer((socket) => {
    stripeSockets.add(socket);
    socket.on('close', () => stripeSockets.delete(socket));
  });
  await new Promise<void>((resolve) => stripe.listen(0, '127.0.0.1', resolve));
}, 120_000);
afterAll(async () => {
  doomed?.child.kill('SIGKILL');
  for (const socket of stripeSockets) socket.destroy();
  await new Promise((resolve) => stripe?.close(resolve));
  await stack?.stop();
}, 60_000);

const ledger = () => stack.products.service.prisma;

it('units held for orders that were never written go back on sale', async () => {
  const product = await stack.createProduct({ stock: 10 });
  const customers = await Promise.all(Array.from({ length: 5 }, () => stack.customer()));
  for (const c of customers) await stack.addToCart(c, product.id, 2);

  const { config } = stack;
  doomed = await startServiceProcess('subgraphs/orders', {
    ...ordersEnvironment(
      neighboursOf(config, `http://127.0.0.1:${(stripe.address() as AddressInfo).port}`),
      stack.db.url,
    ),
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    OUTBOX_RELAY_ENABLED: 'false',
  });
  const before = await ledger().stockReservation.count();
  const pending = customers.map((c) =>
    fetch(`${doomed!.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      body: JSON.stringify({
        query: CHECKOUT,
        variables: {
          input: {
            paymentMethod: 'STRIPE',
            shippingAddressId: c.addressId,
            idempotencyKey: `crash-${c.userId}`,
          },
        },
      }),
    }).catch((error: unknown) => error),
  );
  // Every checkout has its units reserved and waits for Stripe: now orders dies.
  await waitFor(async () => (await ledger().stockReservation.count()) === before + 5, {
    timeoutMs: 20_000,
    what: '5 reservations',
  });
  expect(await stack.stockOf(product.id)).toBe(0);
  doomed.child.kill('SIGKILL');
  await Promise.all(pending);

  const held = await ledger().stockReservation.findMany({
    where: { lines: { some: { productId: product.id } } },
  });
  expect(held.map((r) => r.status)).toEqual(Array(5).fill('RESERVED'));
  // The orders' transactions died with the process: not one order was written.
  const orders = await stack.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[])',
    [held.map((r) => r.orderId)],
  );
  expect(orders[0]!.n).toBe(0);

  // No order will ever claim those holds: products gives the units back by itself.
  await waitFor(async () => (await stack.stockOf(product.id)) === 10, {
    timeoutMs: 20_000,
    what: 'the units back on sale',
  });
  const after = await ledger().stockReservation.findMany({
    where: { orderId: { in: held.map((r) => r.orderId) } },
  });
  expect(after.map((r) => r.status)).toEqual(Array(5).fill('EXPIRED'));

  // Whatever arrives late for such an order is refused cleanly and changes nothing.
  // With orders' own client credentials, as its worker would send it.
  const service = await new ServiceTokenClient({
    tokenUrl: stack.config.OAUTH_TOKEN_URL,
    clientId: stack.config.OAUTH_CLIENT_ID,
    clientSecret: stack.config.OAUTH_CLIENT_SECRET,
  }).token();
  const late = await graphql(
    stack.products.service.url,
    COMMIT,
    { orderId: held[0]!.orderId },
    { token: service },
  );
  expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'HOLD_EXPIRED' });
  expect(await stack.stockOf(product.id)).toBe(10);

  // The same customers check out through a live orders service: their orders are written,
  // claim their holds, and keep them past the claim window.
  for (const c of customers.slice(0, 2)) {
    const res = await stack.checkout(c);
    expect(res.errors).toBeUndefined();
  }
  const placed = await stack.sql<{ id: string }>('SELECT id FROM orders');
  await waitFor(
    async () =>
      (await ledger().stockReservation.count({
        where: { orderId: { in: placed.map((o) => o.id) }, claimDeadline: null },
      })) === placed.length,
    { what: 'the claims' },
  );
  await new Promise((resolve) => setTimeout(resolve, CLAIM_WINDOW_MS + 500));
  expect(await stack.stockOf(product.id)).toBe(6);
}, 120_000);
