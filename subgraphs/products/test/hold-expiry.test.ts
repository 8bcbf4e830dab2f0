// Holds that no order claims go back on sale: what keeps a crash of orders between
// reserveStock and writing the order from taking units off sale for good.
import { randomUUID } from 'node:crypto';
import { Scope } from '@shop/auth';
import { errorCodes, fixtureForFile, waitFor } from '@shop/test-harness';
import { clientFor } from './support/client';
import { COMMIT, PRODUCT, PRODUCTS, RELEASE, RESERVE } from './support/operations';
import { startProductsFixture } from './support/products-service';

const CLAIM = `mutation Claim($orderId: ID!) {
  claimStock(orderId: $orderId) { orderId status claimDeadline lines { productId quantity } }
}`;

const fx = fixtureForFile(() =>
  startProductsFixture({
    env: {
      STOCK_HOLD_CLAIM_MS: '1000',
      STOCK_HOLD_SWEEP_INTERVAL_MS: '100',
      STOCK_MIRROR_INTERVAL_MS: '100',
    },
  }),
);
let client: ReturnType<typeof clientFor>;
let orders: string;
beforeAll(() => {
  client = clientFor(fx);
  orders = fx.tokens!.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
});

const newOrderId = () => `order-${randomUUID()}`;
const reserve = (orderId: string, productId: string, quantity: number) =>
  client.call(RESERVE, { orderId, lines: [{ productId, quantity }] }, orders);
const claim = (orderId: string) => client.call(CLAIM, { orderId }, orders);
const stockOf = async (id: string) => (await client.asAdmin(PRODUCT, { id })).data!.product.stock;
const statusOf = async (orderId: string) =>
  (await fx.service.prisma.stockReservation.findUnique({ where: { orderId } }))?.status;

it('an unclaimed hold goes back on sale, and a late commit is refused cleanly', async () => {
  const product = await client.createProduct({ stock: 5 });
  const orderId = newOrderId();
  const held = await reserve(orderId, product.id, 2);
  expect(held.data!.reserveStock.status).toBe('RESERVED');
  expect(await stockOf(product.id)).toBe(3);

  await waitFor(async () => (await statusOf(orderId)) === 'EXPIRED', { what: 'the expiry' });
  expect(await stockOf(product.id)).toBe(5);

  const late = await client.call(COMMIT, { orderId }, orders);
  expect(late.errors![0]!.extensions).toEqual({
    code: 'CONFLICT',
    field: 'orderId',
    reason: 'HOLD_EXPIRED',
  });
  expect(late.errors![0]!.message).toMatch(/expired/);
  // A repeat of the reservation is refused the same way; a release has nothing left to do.
  expect((await reserve(orderId, product.id, 2)).errors![0]!.extensions).toMatchObject({
    reason: 'HOLD_EXPIRED',
  });
  expect((await client.call(RELEASE, { orderId }, orders)).data!.releaseStock.status).toBe(
    'EXPIRED',
  );
  expect(await stockOf(product.id)).toBe(5);
});

it('a claimed hold never expires, and claiming again changes nothing', async () => {
  const product = await client.createProduct({ stock: 5 });
  const orderId = newOrderId();
  await reserve(orderId, product.id, 2);
  const claimed = await claim(orderId);
  expect(claimed.data!.claimStock).toMatchObject({ status: 'RESERVED', claimDeadline: null });
  expect((await claim(orderId)).data!.claimStock.status).toBe('RESERVED');

  // Another hold placed later expires; the claimed one stays.
  const other = newOrderId();
  await reserve(other, product.id, 1);
  await waitFor(async () => (await statusOf(other)) === 'EXPIRED', { what: 'the other expiry' });
  expect(await statusOf(orderId)).toBe('RESERVED');
  expect(await stockOf(product.id)).toBe(3);
  expect((await client.call(COMMIT, { orderId }, orders)).data!.commitStock.status).toBe(
    'COMMITTED',
  );
  expect((await claim(orderId)).data!.claimStock.status).toBe('COMMITTED');
});

it('a claim after the expiry takes the units again while they last', async () => {
  const product = await client.createProduct({ stock: 3 });
  const [late, gone] = [newOrderId(), newOrderId()];
  await reserve(late, product.id, 2);
  await reserve(gone, product.id, 1);
  await waitFor(async () => (await statusOf(gone)) === 'EXPIRED', { what: 'both expiries' });
  expect(await statusOf(late)).toBe('EXPIRED');

  // Someone else took 2 of the 3 units back on sale: the late claim for 2 finds only 1
  // (OUT_OF_STOCK, nothing taken); the late claim for 1 gets it.
  const buyer = newOrderId();
  expect((await reserve(buyer, product.id, 2)).errors).toBeUndefined();
  const short = await claim(late);
  expect(short.errors![0]!.extensions).toMatchObject({
    code: 'OUT_OF_STOCK',
    available: 1,
    productId: product.id,
  });
  expect(await statusOf(late)).toBe('EXPIRED');
  const retaken = await claim(gone);
  expect(retaken.data!.claimStock).toMatchObject({ status: 'RESERVED', claimDeadline: null });
  expect(await stockOf(product.id)).toBe(0);
});

it('a released hold cannot be claimed', async () => {
  const product = await client.createProduct({ stock: 3 });
  const orderId = newOrderId();
  await reserve(orderId, product.id, 1);
  await client.call(RELEASE, { orderId }, orders);
  expect(errorCodes(await claim(orderId))).toEqual(['CONFLICT']);
  expect(errorCodes(await claim(newOrderId()))).toEqual(['NOT_FOUND']);
});

it('list filters follow reservations through the catalog mirror', async () => {
  const product = await client.createProduct({ stock: 1, name: `Mirror ${randomUUID()}` });
  const inStockSkus = async () => {
    const res = await client.call(PRODUCTS, {
      filter: { inStock: true, search: product.name },
      first: 5,
    });
    return (res.data!.products.edges as { node: { sku: string } }[]).map((e) => e.node.sku);
  };
  expect(await inStockSkus()).toEqual([product.sku]);
  const orderId = newOrderId();
  await reserve(orderId, product.id, 1);
  await claim(orderId);
  await waitFor(async () => (await inStockSkus()).length === 0, { what: 'the mirror' });
  await client.call(RELEASE, { orderId }, orders);
  await waitFor(async () => (await inStockSkus()).length === 1, { what: 'the mirror again' });
});
