// Stock reservations as checkout (orders) uses them, with a client-credentials token.
import { randomUUID } from 'node:crypto';
import { Scope } from '@shop/auth';
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
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
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());
let client: ReturnType<typeof clientFor>;
let orders: string;
beforeAll(() => {
  client = clientFor(fx);
  orders = fx.tokens!.serviceToken('orders-service', [Scope.PRODUCTS_RESERVE]);
});

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
const reservationsCount = () => fx.service.prisma.stockReservation.count();

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
    // The first product's units are taken, then the database refuses the second's update:
    // the whole reservation is one statement, so the first line comes back with it.
    const a = await client.createProduct({ stock: 5 });
    const b = await client.createProduct({ stock: 5 });
    const second = [a.id, b.id].sort()[1]!;
    const db = fx.service.prisma;
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_update() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_second BEFORE UPDATE ON stock_levels
      FOR EACH ROW WHEN (OLD.product_id = '${second}') EXECUTE FUNCTION refuse_update()`);
    try {
      const orderId = newOrderId();
      const res = await reserve(orderId, [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 2 },
      ]);
      expect(errorCodes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(errorCodes(await release(orderId))).toEqual(['NOT_FOUND']);
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_second ON stock_levels');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_update()');
    }
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(5);
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
