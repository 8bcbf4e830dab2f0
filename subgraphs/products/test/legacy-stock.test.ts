// Stock that lived on the catalog documents (before the ledger) moves into the ledger on
// start-up without losing or adding a unit, and a second start changes nothing.
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { createLogger } from '@shop/logging';
import { fixtureForFile } from '@shop/test-harness';
import { openCatalog } from '../src/server';
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());

/** A product document as the old design wrote it: stock net of holds, holds on the document. */
async function legacyProduct(stock: number, holds: { orderId: string; quantity: number }[]) {
  const _id = new Types.ObjectId();
  await fx.service.connection.collection('products').insertOne({
    _id,
    sku: `LEGACY-${randomUUID()}`,
    skuKey: `LEGACY-${randomUUID()}`,
    name: 'Legacy product',
    description: null,
    price: 1000,
    currency: 'EUR',
    categoryId: null,
    stock,
    active: true,
    deletedAt: null,
    attributes: [],
    images: [],
    searchText: 'legacy product',
    holds,
    restocks: [],
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  return _id.toHexString();
}

async function legacyReservation(orderId: string, status: string, lines: unknown[]) {
  await fx.service.connection.collection('reservations').insertOne({
    _id: orderId as never,
    status,
    lines,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
}

it('keeps held units held, returns half-made holds and imports once', async () => {
  const [held, pending, committed] = ['held', 'pending', 'committed'].map(
    (k) => `order-${k}-${randomUUID()}`,
  ) as [string, string, string];
  // 10 units: 3 held by an open order, 2 held by a reservation interrupted half-way; the
  // document's stock (5) already excludes both. A third order bought 1 long ago.
  const a = await legacyProduct(5, [
    { orderId: held, quantity: 3 },
    { orderId: pending, quantity: 2 },
  ]);
  const b = await legacyProduct(7, []);
  await legacyReservation(held, 'RESERVED', [{ productId: a, quantity: 3 }]);
  await legacyReservation(pending, 'PENDING', [
    { productId: a, quantity: 2 },
    { productId: b, quantity: 1 },
  ]);
  await legacyReservation(committed, 'COMMITTED', [{ productId: b, quantity: 1 }]);

  const runImport = async () => {
    const opened = await openCatalog(fx.config, createLogger('products', 'silent'));
    await opened.close();
  };
  await runImport();
  const ledger = fx.service.prisma;
  const level = async (id: string) =>
    (await ledger.stockLevel.findUnique({ where: { productId: id } }))?.available;
  const status = async (orderId: string) =>
    (await ledger.stockReservation.findUnique({ where: { orderId } }))?.status;
  expect(await level(a)).toBe(7); // 5 + the 2 of the interrupted reservation
  expect(await level(b)).toBe(7);
  expect(await status(held)).toBe('RESERVED');
  expect(await status(pending)).toBe('RELEASED');
  expect(await status(committed)).toBe('COMMITTED');
  // The open order's hold is claimed: its order exists and decides (commit or release).
  expect(
    (await ledger.stockReservation.findUnique({ where: { orderId: held } }))?.claimDeadline,
  ).toBeNull();

  // Units move in the ledger from now on; a second start must not reset them.
  await ledger.stockLevel.update({ where: { productId: a }, data: { available: 6 } });
  await runImport();
  expect(await level(a)).toBe(6);
  expect(await ledger.stockReservationLine.count({ where: { orderId: pending } })).toBe(2);
});

it('marks inactive and deleted catalog products unsellable', async () => {
  const id = await legacyProduct(4, []);
  await fx.service.connection
    .collection('products')
    .updateOne({ _id: new Types.ObjectId(id) }, { $set: { active: false } });
  const opened = await openCatalog(fx.config, createLogger('products', 'silent'));
  await opened.close();
  const row = await fx.service.prisma.stockLevel.findUnique({ where: { productId: id } });
  expect(row).toMatchObject({ available: 4, sellable: false });
});
