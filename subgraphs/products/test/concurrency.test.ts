// Stock under contention, against the real stock ledger (PostgreSQL) and catalog (FerretDB).
// A plain conditional $inc on FerretDB fails these (docs/adr/0006).
import { randomUUID } from 'node:crypto';
import { Scope } from '@shop/auth';
import { createLogger } from '@shop/logging';
import pg from 'pg';
import { errorCodes, fixtureForFile, graphql, startServiceProcess } from '@shop/test-harness';
import { startProductsService } from '../src/server';
import { clientFor } from './support/client';
import { ADJUST_STOCK, PRODUCT, RELEASE, RESERVE } from './support/operations';
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());
let client: ReturnType<typeof clientFor>;
let serviceToken: string;
beforeAll(() => {
  client = clientFor(fx);
  serviceToken = fx.tokens!.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
});

const reserve = (orderId: string, lines: { productId: string; quantity: number }[]) =>
  client.call(RESERVE, { orderId, lines }, serviceToken);
const stockOf = async (id: string) => (await client.asAdmin(PRODUCT, { id })).data!.product.stock;

it('200 concurrent reservations of 1 unit with 10 in stock: exactly 10 succeed', async () => {
  const product = await client.createProduct({ stock: 10 });
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 200 }, () =>
      reserve(`order-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]),
    ),
  );
  const elapsed = Date.now() - started;

  const succeeded = results.filter((r) => r.data?.reserveStock?.status === 'RESERVED');
  const refused = results.filter((r) => errorCodes(r).includes('OUT_OF_STOCK'));
  expect(succeeded).toHaveLength(10);
  expect(refused).toHaveLength(190);
  expect(refused[0]!.errors![0]!.extensions).toMatchObject({
    code: 'OUT_OF_STOCK',
    available: 0,
    productId: product.id,
  });
  expect(await stockOf(product.id)).toBe(0);
  console.log(`200 concurrent reservations took ${elapsed} ms`);
}, 60_000);

it('two replicas on one database never oversell: the ledger decides, not the process', async () => {
  const product = await client.createProduct({ stock: 10 });
  const replica = await startProductsService(fx.config, createLogger('products', 'silent'));
  try {
    const urls = [fx.service.url, replica.url];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        graphql(
          urls[i % 2]!,
          RESERVE,
          { orderId: `order-${randomUUID()}`, lines: [{ productId: product.id, quantity: 1 }] },
          { token: serviceToken },
        ),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(10);
    expect(results.filter((r) => errorCodes(r).includes('OUT_OF_STOCK'))).toHaveLength(90);
    expect(await stockOf(product.id)).toBe(0);
  } finally {
    await replica.stop();
  }
}, 60_000);

it('reservations that name the same products in opposite orders do not deadlock', async () => {
  const a = await client.createProduct({ stock: 30 });
  const b = await client.createProduct({ stock: 40 });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      reserve(
        `order-${randomUUID()}`,
        i % 2
          ? [
              { productId: a.id, quantity: 1 },
              { productId: b.id, quantity: 2 },
            ]
          : [
              { productId: b.id, quantity: 2 },
              { productId: a.id, quantity: 1 },
            ],
      ),
    ),
  );
  for (const res of results) expect(res.errors).toBeUndefined();
  expect(await stockOf(a.id)).toBe(10);
  expect(await stockOf(b.id)).toBe(0);
}, 60_000);

it('keeps stock exact when releases, reservations and adjustments run together', async () => {
  const product = await client.createProduct({ stock: 20 });
  const line = [{ productId: product.id, quantity: 2 }];
  const held = Array.from({ length: 5 }, () => `order-${randomUUID()}`);
  for (const orderId of held) expect((await reserve(orderId, line)).errors).toBeUndefined();
  expect(await stockOf(product.id)).toBe(10);

  // 5 releases (+10), 5 new reservations (-10) and 10 adjustments of +1 all at once.
  const fresh = Array.from({ length: 5 }, () => `order-${randomUUID()}`);
  const results = await Promise.all([
    ...held.map((orderId) => client.call(RELEASE, { orderId }, serviceToken)),
    ...fresh.map((orderId) => reserve(orderId, line)),
    ...Array.from({ length: 10 }, () =>
      client.asAdmin(ADJUST_STOCK, { productId: product.id, delta: 1 }),
    ),
  ]);
  for (const res of results) expect(res.errors).toBeUndefined();
  expect(await stockOf(product.id)).toBe(20);
}, 60_000);

it('never lets stock go below zero under concurrent negative adjustments', async () => {
  const product = await client.createProduct({ stock: 5 });
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      client.asAdmin(ADJUST_STOCK, { productId: product.id, delta: -1 }),
    ),
  );
  expect(results.filter((r) => !r.errors)).toHaveLength(5);
  expect(results.filter((r) => errorCodes(r).includes('BAD_USER_INPUT'))).toHaveLength(15);
  expect(await stockOf(product.id)).toBe(0);
}, 60_000);

it('a holder paused with a product row locked is waited for, never overtaken', async () => {
  // A writer that stalls mid-transaction (GC pause, a slow disk, SIGSTOP) keeps its row
  // lock: nobody takes it over on a timer. Others get a fast, retryable CONFLICT once the
  // ledger's lock_timeout passes, and whatever the paused writer commits later still adds up.
  const product = await client.createProduct({ stock: 10 });
  const holder = new pg.Client({ connectionString: fx.ledgerDb.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT available FROM stock_levels WHERE product_id = $1 FOR UPDATE`, [
      product.id,
    ]);
    const waiting = await reserve(`order-${randomUUID()}`, [
      { productId: product.id, quantity: 1 },
    ]);
    expect(errorCodes(waiting)).toEqual(['CONFLICT']);
    expect(waiting.errors![0]!.message).toMatch(/busy.*try again/i);

    // The paused writer wakes up and takes 4 units; then the others go ahead.
    await holder.query(
      `UPDATE stock_levels SET available = available - 4, version = version + 1 WHERE product_id = $1`,
      [product.id],
    );
    await holder.query('COMMIT');
  } finally {
    await holder.end();
  }
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      reserve(`order-${randomUUID()}`, [{ productId: product.id, quantity: 1 }]),
    ),
  );
  expect(results.filter((r) => !r.errors)).toHaveLength(6);
  expect(await stockOf(product.id)).toBe(0);
}, 60_000);

it('an instance paused mid-reservation holds nobody up and sells nothing twice', async () => {
  // A second products process on the same stores, frozen (SIGSTOP) while its reservations
  // are in flight, as a long GC pause or a stalled VM would freeze it. Its statements
  // already sent finish in PostgreSQL; nothing it does later can undo or repeat them.
  const product = await client.createProduct({ stock: 30 });
  const { config } = fx;
  const paused = await startServiceProcess('subgraphs/products', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    PRODUCTS_PORT: '0',
    MONGODB_URL: config.MONGODB_URL,
    PRODUCTS_DB_NAME: config.PRODUCTS_DB_NAME,
    PRODUCTS_DATABASE_URL: config.PRODUCTS_DATABASE_URL,
    JWKS_URL: config.JWKS_URL,
    JWT_ISSUER: config.JWT_ISSUER,
    JWT_AUDIENCE: config.JWT_AUDIENCE,
  });
  const line = [{ productId: product.id, quantity: 1 }];
  try {
    const frozen = Array.from({ length: 20 }, () =>
      graphql(
        paused.origin + '/graphql',
        RESERVE,
        { orderId: `order-${randomUUID()}`, lines: line },
        {
          token: serviceToken,
        },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    paused.child.kill('SIGSTOP');
    // While it is frozen, this instance serves everyone else to the last unit (were it
    // waiting on the frozen one, these would never finish).
    const live = await Promise.all(
      Array.from({ length: 40 }, () => reserve(`order-${randomUUID()}`, line)),
    );
    paused.child.kill('SIGCONT');
    const late = await Promise.all(frozen);

    const sold = [...live, ...late].filter((r) => !r.errors).length;
    const refused = [...live, ...late].filter((r) => errorCodes(r).includes('OUT_OF_STOCK'));
    expect(sold).toBe(30);
    expect(refused).toHaveLength(30);
    expect(await stockOf(product.id)).toBe(0);
    const held = await fx.service.prisma.stockReservationLine.aggregate({
      where: { productId: product.id },
      _sum: { quantity: true },
    });
    expect(held._sum.quantity).toBe(30);
  } finally {
    paused.child.kill('SIGCONT');
    await paused.stop();
  }
}, 120_000);
