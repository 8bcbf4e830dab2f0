// MongoDB goes away under a running products service: answers must come fast and say
// "retry later", and the service must pick up again when the store is back.
import { randomUUID } from 'node:crypto';
import { ConnectionStates } from 'mongoose';
import { Scope } from '@shop/auth';
import {
  createTestDatabase,
  startTcpProxy,
  TEST_MONGODB_URL,
  waitFor,
  type TcpProxy,
  type TestDatabase,
} from '@shop/test-harness';
import { createLogger } from '@shop/logging';
import { openCatalog } from '../src/server';
import { clientFor } from './support/client';
import { CREATE_PRODUCT, newProduct, PRODUCT, PRODUCTS, RESERVE } from './support/operations';
import { startProductsFixture, type ProductsFixture } from './support/products-service';

let proxy: TcpProxy;
let fx: ProductsFixture;
let client: ReturnType<typeof clientFor>;
let storeDown = false;
beforeAll(async () => {
  const store = new URL(TEST_MONGODB_URL);
  proxy = await startTcpProxy({ host: store.hostname, port: Number(store.port || 27017) });
  fx = await startProductsFixture({
    // A short server selection: "fast" is then proven with a wide margin (old: 10 s).
    env: { MONGODB_URL: `mongodb://127.0.0.1:${proxy.port}/?serverSelectionTimeoutMS=300` },
  });
  client = clientFor(fx);
});
afterAll(async () => {
  // The fixture drops its database through the service's connection: bring it back first.
  if (storeDown) await proxy.reopen();
  await fx.stop();
  await proxy.close();
});

/** The time `fn` takes, and its result. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = Date.now();
  const result = await fn();
  return [result, Date.now() - start];
}

/** Resolves once the driver has given up on the server (its heartbeat failed). */
function storeMarkedDown(): Promise<void> {
  const connection = fx.service.connection;
  if (connection.readyState === ConnectionStates.disconnected) return Promise.resolve();
  return new Promise((resolve) => connection.once('disconnected', () => resolve()));
}

describe('MongoDB unreachable', () => {
  it('answers SERVICE_UNAVAILABLE (retryable) within 3 s, and serves again once it is back', async () => {
    const product = await client.createProduct({ name: 'Outage Lamp' });
    expect((await client.call(PRODUCTS)).data!.products.totalCount).toBe(1);

    const markedDown = storeMarkedDown();
    await proxy.close();
    storeDown = true;

    // Connections cut under the service: the next request fails on them at once.
    const [cut, cutMs] = await timed(() => client.call(PRODUCTS));
    expect(cut.errors!.map((e) => e.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', retryable: true },
    ]);
    expect(cutMs).toBeLessThan(3_000);

    // Once the driver's heartbeat has found the server gone, every command waits for a
    // server to come back; that wait is what must stay short (it was 10 s).
    await markedDown;
    const [list, listMs] = await timed(() => client.call(PRODUCTS));
    expect(list.data).toBeNull();
    expect(list.errors!.map((e) => e.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', retryable: true },
    ]);
    expect(listMs).toBeLessThan(3_000);

    const [one, oneMs] = await timed(() => client.call(PRODUCT, { id: product.id }));
    expect(one.errors!.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(oneMs).toBeLessThan(3_000);

    const [write, writeMs] = await timed(() =>
      client.asAdmin(CREATE_PRODUCT, { input: newProduct({ name: 'Never Stored' }) }),
    );
    expect(write.errors!.map((e) => e.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', retryable: true },
    ]);
    expect(writeMs).toBeLessThan(3_000);

    // The process is alive; it is just not ready.
    const base = fx.service.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const [ready, readyMs] = await timed(() => fetch(`${base}/readyz`));
    expect(ready.status).toBe(503);
    expect(readyMs).toBeLessThan(3_000);

    await proxy.reopen();
    storeDown = false;
    const back = await waitFor(
      async () => {
        const res = await client.call(PRODUCTS);
        return res.errors ? undefined : res;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'products to answer again' },
    );
    // Nothing of the refused write was stored.
    expect(back.data!.products.totalCount).toBe(1);
  }, 30_000);

  it('refuses to open the catalog within seconds, not 10, when MongoDB does not answer at start-up', async () => {
    // A port that was just free and is closed again: nothing answers there.
    const nowhere = await startTcpProxy({ host: '127.0.0.1', port: 1 });
    await nowhere.close();
    const config = { ...fx.config, MONGODB_URL: `mongodb://127.0.0.1:${nowhere.port}` };
    const start = Date.now();
    await expect(openCatalog(config, createLogger('products', 'silent'))).rejects.toMatchObject({
      name: expect.stringMatching(/ServerSelectionError$/),
    });
    // The default server selection (2 s), far from mongoose's old 10 s buffer wait.
    expect(Date.now() - start).toBeLessThan(8_000);
  });
});

describe('stock ledger (PostgreSQL) unreachable', () => {
  let pgProxy: TcpProxy;
  let ledger: ProductsFixture;
  let db: TestDatabase;
  afterAll(async () => {
    await pgProxy?.reopen().catch(() => undefined);
    await ledger?.stop();
    await pgProxy?.close();
    await db?.drop();
  });

  it('reservations and stock reads answer SERVICE_UNAVAILABLE; nothing half-done once back', async () => {
    db = await createTestDatabase('products');
    const url = new URL(db.url);
    pgProxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(pgProxy.port);
    ledger = await startProductsFixture({ env: { PRODUCTS_DATABASE_URL: url.toString() } });
    const shop = clientFor(ledger);
    const orders = ledger.tokens!.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
    const product = await shop.createProduct({ stock: 5 });
    const reserve = () =>
      shop.call(
        RESERVE,
        { orderId: `order-${randomUUID()}`, lines: [{ productId: product.id, quantity: 2 }] },
        orders,
      );
    expect((await reserve()).errors).toBeUndefined();

    await pgProxy.close();
    const refused = await reserve();
    expect(refused.errors!.map((e) => e.extensions)).toEqual([
      { code: 'SERVICE_UNAVAILABLE', retryable: true },
    ]);
    const stock = await shop.asAdmin(PRODUCT, { id: product.id });
    expect(stock.errors!.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);

    await pgProxy.reopen();
    const back = await waitFor(
      async () => {
        const res = await shop.asAdmin(PRODUCT, { id: product.id });
        return res.errors ? undefined : res;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the ledger to answer again' },
    );
    expect(back.data!.product.stock).toBe(3);
    expect((await reserve()).errors).toBeUndefined();
  }, 60_000);
});
