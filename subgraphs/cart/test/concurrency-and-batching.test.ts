// What it costs and how it holds up: one products call per request, no lost updates under
// concurrent adds, and the configured expiry on user carts.
import { randomUUID } from 'node:crypto';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { ok } from './support/assert';
import { ADD, CART, CART_FIELDS } from './support/operations';
import { startCartStack } from './support/stack';

const TTL_DAYS = 7;
const stack = fixtureForFile(() => startCartStack({ CART_TTL_DAYS: String(TTL_DAYS) }));

function customer() {
  const userId = randomUUID();
  return { userId, token: stack.tokens.userToken({ sub: userId }), key: stack.userKey(userId) };
}

/** The product ids of each `_entities` call that reached products. */
const productCalls = () =>
  stack.productCalls.requests.map(({ body }) =>
    (body.variables?.representations as { __typename: string; id: string }[]).map((r) => r.id),
  );

describe('price look-ups', () => {
  it('cost one batched _entities call per cart read', async () => {
    const user = customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await stack.createProduct({ stock: 10 });
      ids.push(p.id);
      ok(await stack.call(ADD, { productId: p.id, quantity: 1 }, user));
    }

    stack.productCalls.reset();
    ok(await stack.call(CART, {}, user));
    expect(productCalls()).toEqual([ids]);
    expect(stack.productCalls.requests[0]!.body.query).toContain('_entities');

    // Asking for the cart twice in one operation still makes one call.
    stack.productCalls.reset();
    ok(await stack.call(`{ a: cart { ${CART_FIELDS} } b: cart { itemCount } }`, {}, user));
    expect(productCalls()).toHaveLength(1);
  });

  it('cost one call for an addToCart, the new product included', async () => {
    const user = customer();
    const a = await stack.createProduct({ stock: 10 });
    const b = await stack.createProduct({ stock: 10 });
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));

    stack.productCalls.reset();
    ok(await stack.call(ADD, { productId: b.id, quantity: 2 }, user));
    expect(productCalls()).toEqual([[a.id, b.id]]);
  });

  it('cost one call for a sign-in merge and the cart it returns', async () => {
    const user = customer();
    const a = await stack.createProduct({ stock: 10 });
    const b = await stack.createProduct({ stock: 10 });
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));
    const guestId = ok(await stack.call(ADD, { productId: b.id, quantity: 1 })).addToCart.id;

    stack.productCalls.reset();
    const merged = ok(await stack.call(CART, {}, { token: user.token, cartId: guestId })).cart;
    expect(merged.itemCount).toBe(2);
    expect(productCalls()).toHaveLength(1);
    expect(productCalls()[0]!.sort()).toEqual([a.id, b.id].sort());
  });
});

describe('concurrent adds', () => {
  it('to the same product lose no update', async () => {
    const user = customer();
    const p = await stack.createProduct({ stock: 50 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        stack.call(ADD, { productId: p.id, quantity: 1 }, { token: user.token }),
      ),
    );
    for (const res of results) expect(res.errors).toBeUndefined();
    expect(ok(await stack.call(CART, {}, user)).cart.items[0].quantity).toBe(20);
  });

  it('to a guest cart lose no update either', async () => {
    const p = await stack.createProduct({ stock: 50 });
    const cartId = ok(await stack.call(CART)).cart.id;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        stack.call(ADD, { productId: p.id, quantity: 2 }, { cartId }).then(ok),
      ),
    );
    expect(ok(await stack.call(CART, {}, { cartId })).cart.items[0].quantity).toBe(20);
  });

  it('check the stock against the quantity they end up with', async () => {
    const user = customer();
    const p = await stack.createProduct({ stock: 5 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        stack.call(ADD, { productId: p.id, quantity: 1 }, { token: user.token }),
      ),
    );
    const codes = results.map((res) => errorCodes(res)[0] ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(5);
    expect(codes.filter((c) => c === 'OUT_OF_STOCK')).toHaveLength(5);
    expect(ok(await stack.call(CART, {}, user)).cart.items[0].quantity).toBe(5);
  });
});

describe('expiry', () => {
  const ttl = TTL_DAYS * 86_400;

  it('is set on a user cart from CART_TTL_DAYS when it is written', async () => {
    const user = customer();
    ok(await stack.call(ADD, { productId: (await stack.createProduct()).id, quantity: 1 }, user));
    const left = await stack.redis.ttl(user.key);
    expect(left).toBeGreaterThan(ttl - 60);
    expect(left).toBeLessThanOrEqual(ttl);
  });

  it('is pushed back by every read', async () => {
    const user = customer();
    ok(await stack.call(ADD, { productId: (await stack.createProduct()).id, quantity: 1 }, user));
    await stack.redis.expire(user.key, 60);
    ok(await stack.call(CART, {}, user));
    expect(await stack.redis.ttl(user.key)).toBeGreaterThan(ttl - 60);
  });

  it('of an expired cart leaves an empty cart, not an error', async () => {
    const user = customer();
    ok(await stack.call(ADD, { productId: (await stack.createProduct()).id, quantity: 1 }, user));
    await stack.redis.del(user.key); // what Redis does when the TTL runs out
    expect(ok(await stack.call(CART, {}, user)).cart).toMatchObject({ items: [], itemCount: 0 });
  });
});
