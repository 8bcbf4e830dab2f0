// The cart of a signed-in user against Redis and the real products subgraph: totals from
// live catalog prices, every rule on input, and lines whose product left the catalog.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { fixtureForFile, graphql, TEST_REDIS_URL } from '@shop/test-harness';
import { userCartId } from '../src/domain/cart-id';
import { CartStore } from '../src/store/cart';
import { expectError, ok } from './support/assert';
import { startCartFixture } from './support/cart-service';
import { ADD, CART, CLEAR, REMOVE, UPDATE } from './support/operations';
import { startCartStack } from './support/stack';

const stack = fixtureForFile(() => startCartStack());

/** A new customer: their token and the Redis key of their cart. */
function customer() {
  const userId = randomUUID();
  return {
    userId,
    token: stack.tokens.userToken({ sub: userId }),
    key: stack.userKey(userId),
  };
}

const add = (token: string, productId: string, quantity: number) =>
  stack.call(ADD, { productId, quantity }, { token });
const cartOf = async (token: string) => ok(await stack.call(CART, {}, { token })).cart;

describe('an empty cart', () => {
  it('is a normal result: no items, zero in the default currency', async () => {
    const { token, userId } = customer();
    const cart = await cartOf(token);
    expect(cart).toEqual({
      id: userCartId(userId),
      items: [],
      itemCount: 0,
      subtotal: { amount: 0, currency: 'EUR' },
    });
  });

  it('costs no call to products', async () => {
    stack.productCalls.reset();
    await cartOf(customer().token);
    expect(stack.productCalls.requests).toHaveLength(0);
  });
});

describe('addToCart', () => {
  it('adds lines and computes totals from catalog prices', async () => {
    const { token, userId } = customer();
    const mug = await stack.createProduct({ price: { amount: 1999, currency: 'EUR' }, stock: 10 });
    const tea = await stack.createProduct({ price: { amount: 250, currency: 'EUR' }, stock: 10 });

    ok(await add(token, mug.id, 2));
    const cart = ok(await add(token, tea.id, 3)).addToCart;

    expect(cart).toEqual({
      id: userCartId(userId),
      itemCount: 5,
      subtotal: { amount: 4748, currency: 'EUR' },
      items: [
        {
          product: { id: mug.id },
          quantity: 2,
          unitPrice: { amount: 1999, currency: 'EUR' },
          lineTotal: { amount: 3998, currency: 'EUR' },
        },
        {
          product: { id: tea.id },
          quantity: 3,
          unitPrice: { amount: 250, currency: 'EUR' },
          lineTotal: { amount: 750, currency: 'EUR' },
        },
      ],
    });
    expect(await cartOf(token)).toEqual(cart);
  });

  it('adds to the quantity of a product already in the cart', async () => {
    const { token } = customer();
    const p = await stack.createProduct({ stock: 20 });
    ok(await add(token, p.id, 4));
    const cart = ok(await add(token, p.id, 5)).addToCart;
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0].quantity).toBe(9);
  });

  it('keys a line by the canonical id: another spelling is the same line, capped by stock', async () => {
    const { token, key } = customer();
    const p = await stack.createProduct({ stock: 3 });
    ok(await add(token, p.id, 3));
    const res = await add(token, p.id.toUpperCase(), 3);
    expectError(res, 'OUT_OF_STOCK', { available: 3, inCart: 3 });
    const cart = await cartOf(token);
    expect(cart.itemCount).toBe(3);
    expect(cart.items.map((i: any) => [i.product.id, i.quantity])).toEqual([[p.id, 3]]);
    expect(Object.keys(await stack.redis.hgetall(key)).sort()).toEqual(
      ['n', `o:${p.id}`, `q:${p.id}`, 'v'].sort(),
    );
  });

  it('accepts an upper-case id and stores, shows and updates it lower-cased', async () => {
    const { token, key } = customer();
    const p = await stack.createProduct({ stock: 10 });
    const upper = p.id.toUpperCase();
    const added = ok(await add(token, upper, 2)).addToCart;
    expect(added.items.map((i: any) => [i.product.id, i.quantity])).toEqual([[p.id, 2]]);
    expect(await stack.redis.hget(key, `q:${p.id}`)).toBe('2');
    const updated = ok(await stack.call(UPDATE, { productId: upper, quantity: 5 }, { token }));
    expect(updated.updateCartItem.items.map((i: any) => i.quantity)).toEqual([5]);
    const removed = ok(await stack.call(REMOVE, { productId: upper }, { token }));
    expect(removed.removeFromCart.items).toEqual([]);
  });

  it('stores product ids and quantities, never a price', async () => {
    const { token, key } = customer();
    const p = await stack.createProduct({ price: { amount: 4321, currency: 'EUR' }, stock: 5 });
    ok(await add(token, p.id, 2));
    const stored = await stack.redis.hgetall(key);
    expect(stored).toMatchObject({ [`q:${p.id}`]: '2' });
    expect(Object.keys(stored).sort()).toEqual(['n', `o:${p.id}`, `q:${p.id}`, 'v']);
    expect(Object.values(stored)).not.toContain('4321');
  });

  it('shows a price change at once', async () => {
    const { token } = customer();
    const p = await stack.createProduct({ price: { amount: 1000, currency: 'EUR' }, stock: 5 });
    ok(await add(token, p.id, 3));

    await stack.updateProduct(p.id, { price: { amount: 1250, currency: 'EUR' } });

    const cart = await cartOf(token);
    expect(cart.items[0].unitPrice).toEqual({ amount: 1250, currency: 'EUR' });
    expect(cart.items[0].lineTotal).toEqual({ amount: 3750, currency: 'EUR' });
    expect(cart.subtotal).toEqual({ amount: 3750, currency: 'EUR' });
  });
});

describe('bad input is refused and changes nothing', () => {
  let user: ReturnType<typeof customer>;
  let product: { id: string; name: string };
  let before: unknown;

  beforeAll(async () => {
    user = customer();
    product = await stack.createProduct({ price: { amount: 500, currency: 'EUR' }, stock: 8 });
    ok(await add(user.token, product.id, 3));
  });
  beforeEach(async () => {
    before = await cartOf(user.token);
  });
  afterEach(async () => {
    expect(await cartOf(user.token)).toEqual(before);
  });

  it.each([0, -1, 100])('quantity %p: BAD_USER_INPUT on quantity', async (quantity) => {
    expectError(await add(user.token, product.id, quantity), 'BAD_USER_INPUT', {
      field: 'quantity',
    });
  });

  it('a sum beyond 99: BAD_USER_INPUT on quantity', async () => {
    const plenty = await stack.createProduct({ stock: 500 });
    const other = customer();
    ok(await add(other.token, plenty.id, 60));
    expectError(await add(other.token, plenty.id, 40), 'BAD_USER_INPUT', { field: 'quantity' });
    expect((await cartOf(other.token)).items[0].quantity).toBe(60);
  });

  it('more than the stock: OUT_OF_STOCK with what is available', async () => {
    const res = await add(user.token, product.id, 9);
    expectError(res, 'OUT_OF_STOCK', { available: 8 });
    expect(res.errors![0]!.message).toBe(`Only 8 of "${product.name}" are in stock.`);
  });

  it('a sum beyond the stock: OUT_OF_STOCK', async () => {
    expectError(await add(user.token, product.id, 6), 'OUT_OF_STOCK', { available: 8, inCart: 3 });
  });

  it('a product out of stock: OUT_OF_STOCK with available 0', async () => {
    const none = await stack.createProduct({ stock: 0 });
    expectError(await add(user.token, none.id, 1), 'OUT_OF_STOCK', { available: 0 });
  });

  it.each(['000000000000000000000000', 'no-such-product'])(
    'an unknown product %p: NOT_FOUND',
    async (id) => {
      expectError(await add(user.token, id, 1), 'NOT_FOUND');
    },
  );

  it('an inactive product: NOT_FOUND', async () => {
    const hidden = await stack.createProduct({ stock: 5 });
    await stack.updateProduct(hidden.id, { active: false });
    expectError(await add(user.token, hidden.id, 1), 'NOT_FOUND');
  });

  it('a deleted product: NOT_FOUND', async () => {
    const deleted = await stack.createProduct({ stock: 5 });
    await stack.deleteProduct(deleted.id);
    expectError(await add(user.token, deleted.id, 1), 'NOT_FOUND');
  });

  it('a product in another currency: BAD_USER_INPUT on productId', async () => {
    const dollars = await stack.createProduct({ price: { amount: 500, currency: 'USD' } });
    const res = await add(user.token, dollars.id, 1);
    expectError(res, 'BAD_USER_INPUT', { field: 'productId' });
    expect(res.errors![0]!.message).toContain('A cart holds one currency');
  });

  it('an invalid access token: UNAUTHENTICATED, not an anonymous cart', async () => {
    const res = await add(stack.tokens.foreignToken(), product.id, 1);
    expect(res.status).toBe(401);
    expectError(res, 'UNAUTHENTICATED');
  });
});

describe('updateCartItem', () => {
  it('sets the quantity; 0 removes the line', async () => {
    const { token } = customer();
    const a = await stack.createProduct({ price: { amount: 100, currency: 'EUR' }, stock: 10 });
    const b = await stack.createProduct({ price: { amount: 200, currency: 'EUR' }, stock: 10 });
    ok(await add(token, a.id, 1));
    ok(await add(token, b.id, 1));

    const updated = ok(await stack.call(UPDATE, { productId: a.id, quantity: 7 }, { token }));
    expect(updated.updateCartItem.items.map((i: any) => i.quantity)).toEqual([7, 1]);
    expect(updated.updateCartItem.subtotal.amount).toBe(900);

    const removed = ok(await stack.call(UPDATE, { productId: a.id, quantity: 0 }, { token }));
    expect(removed.updateCartItem.items.map((i: any) => i.product.id)).toEqual([b.id]);
  });

  it('follows the same rules as addToCart', async () => {
    const { token } = customer();
    const p = await stack.createProduct({ stock: 4 });
    ok(await add(token, p.id, 1));
    const update = (quantity: number) =>
      stack.call(UPDATE, { productId: p.id, quantity }, { token });
    expectError(await update(5), 'OUT_OF_STOCK', { available: 4 });
    expectError(await update(100), 'BAD_USER_INPUT', { field: 'quantity' });
    expectError(await update(-1), 'BAD_USER_INPUT', { field: 'quantity' });
    expect((await cartOf(token)).items[0].quantity).toBe(1);
  });

  it('refuses a product that is not in the cart with NOT_FOUND', async () => {
    const { token } = customer();
    const p = await stack.createProduct();
    expectError(await stack.call(UPDATE, { productId: p.id, quantity: 2 }, { token }), 'NOT_FOUND');
    expect((await cartOf(token)).items).toEqual([]);
  });
});

describe('removeFromCart and clearCart', () => {
  it('remove a line, and removing it again changes nothing', async () => {
    const { token } = customer();
    const a = await stack.createProduct();
    const b = await stack.createProduct();
    ok(await add(token, a.id, 1));
    ok(await add(token, b.id, 2));
    const once = ok(await stack.call(REMOVE, { productId: a.id }, { token })).removeFromCart;
    expect(once.items.map((i: any) => i.product.id)).toEqual([b.id]);
    const twice = ok(await stack.call(REMOVE, { productId: a.id }, { token })).removeFromCart;
    expect(twice).toEqual(once);
  });

  it('empty the cart and keep its id', async () => {
    const { token, userId } = customer();
    ok(await add(token, (await stack.createProduct()).id, 1));
    const cleared = ok(await stack.call(CLEAR, {}, { token })).clearCart;
    expect(cleared).toEqual({
      id: userCartId(userId),
      items: [],
      itemCount: 0,
      subtotal: { amount: 0, currency: 'EUR' },
    });
  });
});

describe('the limit of different products per cart (CART_MAX_LINES)', () => {
  it('refuses a new line beyond it with BAD_USER_INPUT; existing lines still change', async () => {
    const small = await startCartFixture({
      CART_MAX_LINES: '2',
      PRODUCTS_URL: stack.products.service.url,
      JWKS_URL: stack.tokens.jwksUrl,
      JWT_ISSUER: stack.tokens.issuer,
      JWT_AUDIENCE: stack.tokens.audience,
    });
    try {
      const call = (query: string, variables: Record<string, unknown>, token?: string) =>
        graphql<Record<string, any>>(small.service.url, query, variables, { token });
      const { token } = customer();
      const [a, b, c] = [
        await stack.createProduct({ stock: 10 }),
        await stack.createProduct({ stock: 10 }),
        await stack.createProduct({ stock: 10 }),
      ];
      ok(await call(ADD, { productId: a.id, quantity: 1 }, token));
      ok(await call(ADD, { productId: b.id, quantity: 1 }, token));
      const full = await call(ADD, { productId: c.id, quantity: 1 }, token);
      expectError(full, 'BAD_USER_INPUT', { field: 'productId' });
      expect(full.errors![0]!.message).toBe(
        'A cart holds at most 2 different products; remove one before adding another.',
      );
      const more = ok(await call(ADD, { productId: a.id.toUpperCase(), quantity: 2 }, token));
      expect(more.addToCart.items.map((i: any) => i.quantity)).toEqual([3, 1]);

      // Guests too, and a removed line makes room again.
      const guest = ok(await call(ADD, { productId: a.id, quantity: 1 })).addToCart.id;
      const asGuest = (query: string, variables: Record<string, unknown>) =>
        graphql<Record<string, any>>(small.service.url, query, variables, {
          headers: { 'x-cart-id': guest },
        });
      ok(await asGuest(ADD, { productId: b.id, quantity: 1 }));
      expectError(await asGuest(ADD, { productId: c.id, quantity: 1 }), 'BAD_USER_INPUT', {
        field: 'productId',
      });
      ok(await asGuest(REMOVE, { productId: a.id }));
      ok(await asGuest(ADD, { productId: c.id, quantity: 1 }));
    } finally {
      await small.stop();
    }
  });
});

describe('products that leave the catalog', () => {
  it('are dropped from the cart view and from storage, the rest is priced as usual', async () => {
    const { token, key } = customer();
    const kept = await stack.createProduct({ price: { amount: 300, currency: 'EUR' }, stock: 5 });
    const deleted = await stack.createProduct({ stock: 5 });
    const hidden = await stack.createProduct({ stock: 5 });
    for (const p of [deleted, kept, hidden]) ok(await add(token, p.id, 2));

    await stack.deleteProduct(deleted.id);
    await stack.updateProduct(hidden.id, { active: false });

    const cart = await cartOf(token);
    expect(cart.items.map((i: any) => i.product.id)).toEqual([kept.id]);
    expect(cart.subtotal).toEqual({ amount: 600, currency: 'EUR' });
    expect(await stack.redis.hexists(key, `q:${deleted.id}`)).toBe(0);
    expect(await stack.redis.hexists(key, `q:${hidden.id}`)).toBe(0);
  });
});

describe('when the products subgraph is unreachable', () => {
  it('fails with an error instead of showing an empty cart', async () => {
    // A port that was free a moment ago: nothing listens there.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const cart = await startCartFixture({
      PRODUCTS_URL: `http://127.0.0.1:${port}/graphql`,
      JWKS_URL: stack.tokens.jwksUrl,
      JWT_ISSUER: stack.tokens.issuer,
      JWT_AUDIENCE: stack.tokens.audience,
    });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const { userId, token } = customer();
      const p = await stack.createProduct();
      await new CartStore(redis, cart.prefix, 60).setQuantity(
        `${cart.prefix}user:${userId}`,
        p.id,
        0,
        1,
      );

      const call = (query: string, variables = {}) =>
        graphql<Record<string, any>>(cart.service.url, query, variables, { token });

      // A peer that is down is an outage the client may retry, not a bug.
      const read = await call(CART);
      expect(read.data).toBeNull();
      expectError(read, 'SERVICE_UNAVAILABLE', { retryable: true });
      expectError(await call(ADD, { productId: p.id, quantity: 1 }), 'SERVICE_UNAVAILABLE');
      // Nothing was dropped: the line comes back once products answers again.
      expect(await redis.hget(`${cart.prefix}user:${userId}`, `q:${p.id}`)).toBe('1');
    } finally {
      redis.disconnect();
      await cart.stop();
    }
  });
});

describe('checkoutLines (internal: what checkout reads)', () => {
  const LINES = 'query { checkoutLines { productId quantity } }';

  it('returns the lines as stored without asking the catalog, vanished products included', async () => {
    const { token } = customer();
    const mug = await stack.createProduct({ stock: 10 });
    const tea = await stack.createProduct({ stock: 10 });
    ok(await add(token, mug.id, 2));
    ok(await add(token, tea.id, 1));
    await stack.deleteProduct(tea.id);

    stack.productCalls.reset();
    const { checkoutLines } = ok(await stack.call(LINES, {}, { token }));
    expect(checkoutLines).toEqual([
      { productId: mug.id, quantity: 2 },
      { productId: tea.id, quantity: 1 },
    ]);
    // Checkout prices the order itself and says which product is no longer sold.
    expect(stack.productCalls.requests).toHaveLength(0);
  });

  it('is the signed-in customer’s own cart; a service token has none', async () => {
    expect(ok(await stack.call(LINES, {}, { token: customer().token })).checkoutLines).toEqual([]);
    const service = stack.tokens.serviceToken('orders-service', ['users:read']);
    expectError(await stack.call(LINES, {}, { token: service }), 'FORBIDDEN');
  });
});
