// Stock reservations as checkout (orders) uses them, with a client-credentials token.
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { Scope } from '@shop/auth';
import { errorCodes, graphql } from '@shop/test-harness';
import { ProductStore } from '../src/store/product';
import { clientFor } from './support/client';
import {
  ADJUST_STOCK,
  COMMIT,
  PRODUCT,
  RELEASE,
  RESERVE,
  RESTOCK,
  UPDATE_PRODUCT,
} from './support/operations';
import { startProductsFixture, type ProductsFixture } from './support/products-service';

let fx: ProductsFixture;
let client: ReturnType<typeof clientFor>;
let orders: string;
beforeAll(async () => {
  fx = await startProductsFixture();
  client = clientFor(fx);
  orders = fx.tokens!.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
});
afterAll(() => fx.stop());

const newOrderId = () => `order-${randomUUID()}`;
const reserve = (
  orderId: string,
  lines: { productId: string; quantity: number }[],
  token = orders,
) => client.call(RESERVE, { orderId, lines }, token);
const release = (orderId: string, token = orders) => client.call(RELEASE, { orderId }, token);
const commit = (orderId: string, token = orders) => client.call(COMMIT, { orderId }, token);
const restock = (orderId: string, token = orders) => client.call(RESTOCK, { orderId }, token);
const stockOf = async (id: string) => (await client.asAdmin(PRODUCT, { id })).data!.product.stock;
const reservationsCount = () => fx.service.connection.collection('reservations').countDocuments();

describe('reserveStock', () => {
  it('holds every line and takes the units out of stock', async () => {
    const a = await client.createProduct({ stock: 5 });
    const b = await client.createProduct({ stock: 2 });
    const orderId = newOrderId();
    const res = await reserve(orderId, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 2 },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.reserveStock).toEqual({
      orderId,
      status: 'RESERVED',
      lines: expect.arrayContaining([
        { productId: a.id, quantity: 3 },
        { productId: b.id, quantity: 2 },
      ]),
    });
    expect(await stockOf(a.id)).toBe(2);
    expect(await stockOf(b.id)).toBe(0);
  });

  it('is all or nothing: one short line refuses the whole reservation', async () => {
    const a = await client.createProduct({ stock: 5 });
    const b = await client.createProduct({ stock: 1, name: 'Rare Vinyl' });
    const before = await reservationsCount();
    const res = await reserve(newOrderId(), [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 3 },
    ]);
    expect(res.data).toBeNull();
    expect(res.errors![0]!.message).toMatch(/Rare Vinyl/);
    expect(res.errors![0]!.extensions).toEqual({
      code: 'OUT_OF_STOCK',
      available: 1,
      productId: b.id,
    });
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(1);
    expect(await reservationsCount()).toBe(before);
  });

  it('rolls back lines already taken when a later line fails', async () => {
    // The first line is taken, then the write of the second fails: the first must come back.
    const a = await client.createProduct({ stock: 5 });
    const b = await client.createProduct({ stock: 5 });
    const [first, second] = [a.id, b.id].sort();
    const products = fx.service.connection.collection('products');
    const original = ProductStore.prototype.writeStock;
    const spy = jest.spyOn(ProductStore.prototype, 'writeStock').mockImplementation(async function (
      this: InstanceType<typeof ProductStore>,
      id,
      state,
    ) {
      if (id === second && state.holds.length > 0) throw new Error('the database went away');
      return original.call(this, id, state);
    });
    try {
      const res = await reserve(newOrderId(), [
        { productId: first!, quantity: 2 },
        { productId: second!, quantity: 2 },
      ]);
      expect(errorCodes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      spy.mockRestore();
    }
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(5);
    const docs = await products.find({ holds: { $ne: [] } }).toArray();
    expect(docs.filter((d) => [a.id, b.id].includes(String(d._id)))).toEqual([]);
  });

  it('returns the existing reservation when repeated with the same order id', async () => {
    const a = await client.createProduct({ stock: 5 });
    const orderId = newOrderId();
    const lines = [{ productId: a.id, quantity: 2 }];
    const first = await reserve(orderId, lines);
    const again = await reserve(orderId, lines);
    expect(again.data!.reserveStock).toEqual(first.data!.reserveStock);
    expect(await stockOf(a.id)).toBe(3);

    const different = await reserve(orderId, [{ productId: a.id, quantity: 3 }]);
    expect(different.errors![0]!.extensions).toEqual({ code: 'CONFLICT', field: 'orderId' });
  });

  it('refuses inactive products as out of stock, and bad lines as BAD_USER_INPUT', async () => {
    const a = await client.createProduct({ stock: 5 });
    await client.asAdmin(UPDATE_PRODUCT, { id: a.id, input: { active: false } });
    const inactive = await reserve(newOrderId(), [{ productId: a.id, quantity: 1 }]);
    expect(inactive.errors![0]!.extensions).toMatchObject({ code: 'OUT_OF_STOCK', available: 0 });

    const cases = [
      [[], 'lines'],
      [[{ productId: a.id, quantity: 0 }], 'lines.0.quantity'],
      [[{ productId: 'nope', quantity: 1 }], 'lines.0.productId'],
      [[{ productId: 'ffffffffffffffffffffffff', quantity: 1 }], 'lines'],
    ] as const;
    for (const [lines, field] of cases) {
      const res = await reserve(newOrderId(), [...lines]);
      expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    }
  });
});

describe('after a crash in the middle of a reservation', () => {
  // What a process that died between its product writes leaves behind: a PENDING record
  // and a hold on the first product only.
  async function interrupted(stock: number) {
    const a = await client.createProduct({ stock });
    const b = await client.createProduct({ stock });
    const [first, second] = [a.id, b.id].sort() as [string, string];
    const orderId = newOrderId();
    const lines = [
      { productId: first, quantity: 2 },
      { productId: second, quantity: 2 },
    ];
    const db = fx.service.connection;
    await db.collection('reservations').insertOne({
      _id: orderId,
      status: 'PENDING',
      lines,
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    await db
      .collection('products')
      .updateOne(
        { _id: new Types.ObjectId(first) },
        { $set: { stock: stock - 2, holds: [{ orderId, quantity: 2 }] } },
      );
    return { orderId, lines, first, second };
  }

  it('a repeated reserve finishes it without taking the first line twice', async () => {
    const { orderId, lines, first, second } = await interrupted(5);
    const res = await reserve(orderId, lines);
    expect(res.data!.reserveStock.status).toBe('RESERVED');
    expect(await stockOf(first)).toBe(3);
    expect(await stockOf(second)).toBe(3);
  });

  it('a release gives back exactly what was taken', async () => {
    const { orderId, first, second } = await interrupted(5);
    expect((await release(orderId)).data!.releaseStock.status).toBe('RELEASED');
    expect(await stockOf(first)).toBe(5);
    expect(await stockOf(second)).toBe(5);
  });
});

describe('releaseStock and commitStock', () => {
  it('release gives the units back, once', async () => {
    const a = await client.createProduct({ stock: 4 });
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a.id, quantity: 3 }]);
    expect(await stockOf(a.id)).toBe(1);

    const first = await release(orderId);
    expect(first.data!.releaseStock.status).toBe('RELEASED');
    expect(await stockOf(a.id)).toBe(4);
    const second = await release(orderId);
    expect(second.data!.releaseStock.status).toBe('RELEASED');
    expect(await stockOf(a.id)).toBe(4);

    // A released order id does not reserve again, and cannot be committed.
    const again = await reserve(orderId, [{ productId: a.id, quantity: 3 }]);
    expect(again.data!.reserveStock.status).toBe('RELEASED');
    expect(await stockOf(a.id)).toBe(4);
    expect(errorCodes(await commit(orderId))).toEqual(['CONFLICT']);
  });

  it('commit keeps the units sold, once; release after commit is refused', async () => {
    const a = await client.createProduct({ stock: 4 });
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a.id, quantity: 3 }]);

    expect((await commit(orderId)).data!.commitStock.status).toBe('COMMITTED');
    expect((await commit(orderId)).data!.commitStock.status).toBe('COMMITTED');
    expect(await stockOf(a.id)).toBe(1);

    const refused = await release(orderId);
    expect(refused.errors![0]!.extensions).toEqual({ code: 'CONFLICT', field: 'orderId' });
    expect(await stockOf(a.id)).toBe(1);
    // Committed units are gone for good; an administrator's adjustment does not touch them.
    await client.asAdmin(ADJUST_STOCK, { productId: a.id, delta: 2 });
    expect(await stockOf(a.id)).toBe(3);
  });

  it('answers NOT_FOUND for an order without a reservation', async () => {
    expect(errorCodes(await release(newOrderId()))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await commit(newOrderId()))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await restock(newOrderId()))).toEqual(['NOT_FOUND']);
  });
});

describe('restockStock (a paid order cancelled before it shipped)', () => {
  it('gives sold units back exactly once, even when repeated at once', async () => {
    const [a, b] = [
      await client.createProduct({ stock: 5 }),
      await client.createProduct({ stock: 2 }),
    ];
    const orderId = newOrderId();
    await reserve(orderId, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 2 },
    ]);
    await commit(orderId);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([2, 0]);

    const results = await Promise.all(Array.from({ length: 8 }, () => restock(orderId)));
    for (const res of results) expect(res.data!.restockStock.status).toBe('RESTOCKED');
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([5, 2]);

    // Given back: neither released nor committed again.
    expect(errorCodes(await release(orderId))).toEqual(['CONFLICT']);
    expect(errorCodes(await commit(orderId))).toEqual(['CONFLICT']);
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([5, 2]);
  });

  it('a restock interrupted half-way finishes without adding the first product twice', async () => {
    const [a, b] = [
      await client.createProduct({ stock: 4 }),
      await client.createProduct({ stock: 4 }),
    ];
    const orderId = newOrderId();
    await reserve(orderId, [
      { productId: a.id, quantity: 1 },
      { productId: b.id, quantity: 1 },
    ]);
    await commit(orderId);
    // As if a crash came right after the first product took its unit back.
    const store = new ProductStore(fx.service.connection);
    const [first] = await store.findStock([a.id]);
    await store.writeRestock(a.id, {
      stock: first!.stock + 1,
      restocks: [{ orderId, at: new Date() }],
    });

    expect((await restock(orderId)).data!.restockStock.status).toBe('RESTOCKED');
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([4, 4]);
  });

  it('refuses units that were never sold: those are released', async () => {
    const a = await client.createProduct({ stock: 3 });
    const orderId = newOrderId();
    await reserve(orderId, [{ productId: a.id, quantity: 2 }]);
    const refused = await restock(orderId);
    expect(refused.errors![0]!.extensions).toEqual({ code: 'CONFLICT', field: 'orderId' });
    expect(refused.errors![0]!.message).toMatch(/releaseStock/);
    expect(await stockOf(a.id)).toBe(1);
    expect(
      errorCodes(await restock(orderId, fx.tokens!.serviceToken('x', ['users:read']))),
    ).toEqual(['FORBIDDEN']);
  });
});

describe('who may reserve', () => {
  it('needs a service token with the products:reserve scope', async () => {
    const a = await client.createProduct({ stock: 5 });
    const lines = [{ productId: a.id, quantity: 1 }];
    const tokens = fx.tokens!;
    const forbidden = [
      tokens.userToken(),
      tokens.adminToken(),
      tokens.serviceToken('cart-service', ['users:read']),
    ];
    for (const token of forbidden) {
      expect(errorCodes(await reserve(newOrderId(), lines, token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await release(newOrderId(), token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await commit(newOrderId(), token))).toEqual(['FORBIDDEN']);
    }
    const anonymous = await graphql(fx.service.url, RESERVE, { orderId: newOrderId(), lines });
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(await stockOf(a.id)).toBe(5);
  });
});
