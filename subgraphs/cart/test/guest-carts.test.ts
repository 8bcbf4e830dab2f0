// Guest carts (x-cart-id) and merging them into the user's cart on the first signed-in request.
import { randomUUID } from 'node:crypto';
import { fixtureForFile } from '@shop/test-harness';
import { newGuestCartId, userCartId } from '../src/domain/cart-id';
import { expectError, ok } from './support/assert';
import { ADD, CART, CLEAR, UPDATE } from './support/operations';
import { startCartStack } from './support/stack';

const stack = fixtureForFile(() => startCartStack());

const ID = /^[A-Za-z0-9_-]{22}$/;

function customer() {
  const userId = randomUUID();
  return { userId, token: stack.tokens.userToken({ sub: userId }), key: stack.userKey(userId) };
}

/** A guest cart holding the given lines; returns its id. */
async function guestCart(lines: [productId: string, quantity: number][]): Promise<string> {
  let cartId = ok(await stack.call(CART)).cart.id as string;
  for (const [productId, quantity] of lines) {
    cartId = ok(await stack.call(ADD, { productId, quantity }, { cartId })).addToCart.id;
  }
  return cartId;
}

const quantities = (cart: any) =>
  Object.fromEntries(cart.items.map((i: any) => [i.product.id, i.quantity]));

describe('guest carts', () => {
  it('get a new random, URL-safe id, and keep it when the client sends it back', async () => {
    const first = ok(await stack.call(CART)).cart;
    const second = ok(await stack.call(CART)).cart;
    expect(first.id).toMatch(ID);
    expect(second.id).not.toBe(first.id);
    expect(first).toMatchObject({ items: [], itemCount: 0, subtotal: { amount: 0 } });

    const p = await stack.createProduct({ price: { amount: 700, currency: 'EUR' }, stock: 5 });
    const added = ok(await stack.call(ADD, { productId: p.id, quantity: 2 }, { cartId: first.id }));
    expect(added.addToCart).toMatchObject({ id: first.id, itemCount: 2 });
    expect(ok(await stack.call(CART, {}, { cartId: first.id })).cart).toEqual(added.addToCart);
  });

  it('are not created by a mutation that is refused', async () => {
    const p = await stack.createProduct({ stock: 3 });
    const guestCarts = async () => (await stack.redis.keys(stack.guestKey('*'))).length;
    const before = await guestCarts();
    // No x-cart-id: each would have needed a new guest cart, had it succeeded.
    expectError(await stack.call(ADD, { productId: p.id, quantity: 4 }), 'OUT_OF_STOCK');
    expectError(await stack.call(UPDATE, { productId: p.id, quantity: 1 }), 'NOT_FOUND');
    expectError(await stack.call(ADD, { productId: randomUUID(), quantity: 1 }), 'NOT_FOUND');
    expect(await guestCarts()).toBe(before);
  });

  it('are created by a first mutation without an id, too', async () => {
    const p = await stack.createProduct();
    const cart = ok(await stack.call(ADD, { productId: p.id, quantity: 1 })).addToCart;
    expect(cart.id).toMatch(ID);
    expect(ok(await stack.call(CART, {}, { cartId: cart.id })).cart.itemCount).toBe(1);
  });

  it('with an unknown or expired id start afresh, under a new id', async () => {
    const unknown = newGuestCartId();
    const cart = ok(await stack.call(CART, {}, { cartId: unknown })).cart;
    expect(cart.id).toMatch(ID);
    expect(cart.id).not.toBe(unknown);
    expect(cart.items).toEqual([]);
  });

  it("never open a user's cart, even with that cart's id", async () => {
    const user = customer();
    ok(await stack.call(ADD, { productId: (await stack.createProduct()).id, quantity: 1 }, user));
    const guest = ok(await stack.call(CART, {}, { cartId: userCartId(user.userId) })).cart;
    expect(guest.id).not.toBe(userCartId(user.userId));
    expect(guest.items).toEqual([]);
  });

  it.each(['not-a-cart-id', 'x'.repeat(40), 'AAAAAAAAAAAAAAAAAAAAAB'])(
    'refuse the malformed id %p with BAD_USER_INPUT',
    async (cartId) => {
      expectError(await stack.call(CART, {}, { cartId }), 'BAD_USER_INPUT', {
        field: 'x-cart-id',
      });
    },
  );

  it('with lines expire after the configured time without activity, refreshed by reads', async () => {
    const cartId = await guestCart([[(await stack.createProduct()).id, 1]]);
    const key = stack.guestKey(cartId);
    const days30 = 30 * 86_400;
    expect(await stack.redis.ttl(key)).toBeGreaterThan(days30 - 60);
    expect(await stack.redis.ttl(key)).toBeLessThanOrEqual(days30);

    await stack.redis.expire(key, 60);
    ok(await stack.call(CART, {}, { cartId }));
    expect(await stack.redis.ttl(key)).toBeGreaterThan(days30 - 60);
  });

  it('that are empty live an hour, not 30 days: anonymous reads cannot fill Redis', async () => {
    const hour = 3600;
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(ok(await stack.call(CART)).cart.id);
    expect(ids.size).toBe(20);
    for (const id of ids) {
      const left = await stack.redis.ttl(stack.guestKey(id));
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(hour);
    }
    // Reading an empty cart keeps its id working, still for an hour only...
    const [cartId] = ids;
    expect(ok(await stack.call(CART, {}, { cartId })).cart.id).toBe(cartId);
    expect(await stack.redis.ttl(stack.guestKey(cartId!))).toBeLessThanOrEqual(hour);
    // ...the first line gives it the full 30 days, and emptying it takes them away again.
    const p = await stack.createProduct();
    ok(await stack.call(ADD, { productId: p.id, quantity: 1 }, { cartId }));
    expect(await stack.redis.ttl(stack.guestKey(cartId!))).toBeGreaterThan(30 * 86_400 - 60);
    ok(await stack.call(CLEAR, {}, { cartId }));
    expect(await stack.redis.ttl(stack.guestKey(cartId!))).toBeLessThanOrEqual(hour);
  });

  it('are not for service tokens', async () => {
    const token = stack.tokens.serviceToken('orders-service', ['products:reserve']);
    expectError(await stack.call(CART, {}, { token }), 'FORBIDDEN');
  });
});

describe('merge on sign-in', () => {
  it('adds the guest lines to the user cart and deletes the guest cart', async () => {
    const a = await stack.createProduct({ price: { amount: 100, currency: 'EUR' }, stock: 10 });
    const b = await stack.createProduct({ price: { amount: 200, currency: 'EUR' }, stock: 10 });
    const user = customer();
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));
    const cartId = await guestCart([
      [b.id, 1],
      [a.id, 2],
    ]);

    const merged = ok(await stack.call(CART, {}, { token: user.token, cartId })).cart;
    expect(merged.id).toBe(userCartId(user.userId));
    expect(merged.items.map((i: any) => [i.product.id, i.quantity])).toEqual([
      [a.id, 3],
      [b.id, 1],
    ]);
    expect(merged.subtotal).toEqual({ amount: 500, currency: 'EUR' });
    expect(await stack.redis.exists(stack.guestKey(cartId))).toBe(0);

    // The client keeps sending the header for a while: nothing is merged twice.
    expect(ok(await stack.call(CART, {}, { token: user.token, cartId })).cart).toEqual(merged);
    // And the guest id now names no cart: an anonymous request gets a fresh one.
    expect(ok(await stack.call(CART, {}, { cartId })).cart.id).not.toBe(cartId);
  });

  it('caps merged quantities by the stock and by 99', async () => {
    const scarce = await stack.createProduct({ stock: 5 });
    const plenty = await stack.createProduct({ stock: 1000 });
    const user = customer();
    ok(await stack.call(ADD, { productId: scarce.id, quantity: 3 }, user));
    ok(await stack.call(ADD, { productId: plenty.id, quantity: 60 }, user));
    const cartId = await guestCart([
      [scarce.id, 4],
      [plenty.id, 50],
    ]);

    const merged = ok(await stack.call(CART, {}, { token: user.token, cartId })).cart;
    expect(quantities(merged)).toEqual({ [scarce.id]: 5, [plenty.id]: 99 });
  });

  it('happens on the first mutation too, before the mutation applies', async () => {
    const a = await stack.createProduct({ stock: 10 });
    const user = customer();
    const cartId = await guestCart([[a.id, 2]]);
    const res = ok(
      await stack.call(ADD, { productId: a.id, quantity: 1 }, { token: user.token, cartId }),
    );
    expect(quantities(res.addToCart)).toEqual({ [a.id]: 3 });
  });

  it('leaves out guest lines in another currency than the user cart', async () => {
    const euro = await stack.createProduct({ price: { amount: 100, currency: 'EUR' } });
    const dollar = await stack.createProduct({ price: { amount: 100, currency: 'USD' } });
    const user = customer();
    ok(await stack.call(ADD, { productId: euro.id, quantity: 1 }, user));
    const cartId = await guestCart([[dollar.id, 1]]);
    const merged = ok(await stack.call(CART, {}, { token: user.token, cartId })).cart;
    expect(quantities(merged)).toEqual({ [euro.id]: 1 });
  });

  it('happens once when two signed-in requests race with the same guest cart', async () => {
    const a = await stack.createProduct({ stock: 50 });
    const b = await stack.createProduct({ stock: 50 });
    const user = customer();
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));
    const cartId = await guestCart([
      [a.id, 2],
      [b.id, 3],
    ]);

    // Both requests read the guest cart before either writes (products answers them together).
    stack.productCalls.gate(2);
    const [first, second] = await Promise.all([
      stack.call(CART, {}, { token: user.token, cartId }),
      stack.call(ADD, { productId: b.id, quantity: 1 }, { token: user.token, cartId }),
    ]);
    // Merged exactly once (a: 1 + 2), and the concurrent add is kept (b: 3 + 1).
    expect(quantities(ok(second).addToCart)).toEqual({ [a.id]: 3, [b.id]: 4 });
    expect(quantities(ok(first).cart)[a.id]).toBe(3);
    expect(quantities(ok(await stack.call(CART, {}, user)).cart)).toEqual({
      [a.id]: 3,
      [b.id]: 4,
    });
  });

  it('keeps a change the user made while the merge was being worked out', async () => {
    const a = await stack.createProduct({ stock: 50 });
    const user = customer();
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));
    const cartId = await guestCart([[a.id, 2]]);

    // The merging request has read both carts and waits for products...
    const held = stack.productCalls.holdNext();
    const merging = stack.call(CART, {}, { token: user.token, cartId });
    await held.arrived;
    // ...while another request of the same user changes the same line.
    ok(await stack.call(ADD, { productId: a.id, quantity: 1 }, user));
    held.release();

    expect(quantities(ok(await merging).cart)).toEqual({ [a.id]: 4 });
  });

  it('keeps a line the guest added while the merge was being worked out', async () => {
    const a = await stack.createProduct({ stock: 50 });
    const late = await stack.createProduct({ stock: 50 });
    const user = customer();
    const cartId = await guestCart([[a.id, 2]]);

    const held = stack.productCalls.holdNext();
    const merging = stack.call(CART, {}, { token: user.token, cartId });
    await held.arrived;
    ok(await stack.call(ADD, { productId: late.id, quantity: 1 }, { cartId }));
    held.release();

    expect(quantities(ok(await merging).cart)).toEqual({ [a.id]: 2, [late.id]: 1 });
  });

  it('happens once when many sign-in requests race', async () => {
    const a = await stack.createProduct({ stock: 50 });
    const user = customer();
    const cartId = await guestCart([[a.id, 2]]);
    stack.productCalls.gate(8);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => stack.call(CART, {}, { token: user.token, cartId })),
    );
    for (const res of results) expect(quantities(ok(res).cart)).toEqual({ [a.id]: 2 });
  });
});
