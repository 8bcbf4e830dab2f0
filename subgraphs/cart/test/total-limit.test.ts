// The most one cart may total (MAX_TOTAL_AMOUNT, 2,000,000,000 minor units), against Redis
// and the real products subgraph: adds, updates and the sign-in merge that would go beyond
// it are refused and change nothing, also when two adds race; a cart that went beyond it
// because prices rose stays readable and can be brought back under it.
import { randomUUID } from 'node:crypto';
import { MAX_TOTAL_AMOUNT, MAX_UNIT_PRICE } from '@shop/money';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { expectError, ok } from './support/assert';
import { ADD, CART, UPDATE } from './support/operations';
import { startCartStack, type CartStack } from './support/stack';

const stack = fixtureForFile(() => startCartStack());

const TEN_MILLION = 10_000_000;

function customer() {
  const userId = randomUUID();
  return { userId, token: stack.tokens.userToken({ sub: userId }), key: stack.userKey(userId) };
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const product = (amount: number) => stack.createProduct({ price: eur(amount), stock: 500 });

/** Two lines of 99 × 10,000,000: 1,980,000,000, 20,000,000 below the limit. */
async function nearlyFullCart(token: string) {
  const a = await product(TEN_MILLION);
  const b = await product(TEN_MILLION);
  ok(await stack.call(ADD, { productId: a.id, quantity: 99 }, { token }));
  ok(await stack.call(ADD, { productId: b.id, quantity: 99 }, { token }));
  return { a, b };
}

function expectTotalRefused(res: Awaited<ReturnType<CartStack['call']>>, total: number) {
  expectError(res, 'BAD_USER_INPUT', { field: 'quantity' });
  expect(res.errors![0]!.message).toContain(
    `would take the cart's total to ${total} (minor units of EUR), above the ${MAX_TOTAL_AMOUNT} one cart can hold`,
  );
}

describe('addToCart', () => {
  it('accepts a total exactly at the limit and refuses one unit more, changing nothing', async () => {
    const user = customer();
    await nearlyFullCart(user.token);
    const c = await product(TEN_MILLION);

    const full = ok(await stack.call(ADD, { productId: c.id, quantity: 2 }, user)).addToCart;
    expect(full.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
    expect(full.itemCount).toBe(200);

    const stored = await stack.redis.hgetall(user.key);
    const d = await product(1);
    expectTotalRefused(
      await stack.call(ADD, { productId: d.id, quantity: 1 }, user),
      MAX_TOTAL_AMOUNT + 1,
    );
    expectTotalRefused(
      await stack.call(ADD, { productId: c.id, quantity: 1 }, user),
      MAX_TOTAL_AMOUNT + TEN_MILLION,
    );
    // Nothing written, not even the version.
    expect(await stack.redis.hgetall(user.key)).toEqual(stored);
    expect(ok(await stack.call(CART, {}, user)).cart).toEqual(full);
  });

  it('refuses one product at the highest price once it no longer fits', async () => {
    const user = customer();
    await nearlyFullCart(user.token);
    const top = await product(MAX_UNIT_PRICE);
    const stored = await stack.redis.hgetall(user.key);
    expectTotalRefused(
      await stack.call(ADD, { productId: top.id, quantity: 1 }, user),
      1_980_000_000 + MAX_UNIT_PRICE,
    );
    expect(await stack.redis.hgetall(user.key)).toEqual(stored);
  });

  it('refuses a guest too, and the guest cart keeps what it had', async () => {
    const top = await product(MAX_UNIT_PRICE);
    const cartId = ok(await stack.call(ADD, { productId: top.id, quantity: 20 })).addToCart.id;
    const before = ok(await stack.call(CART, {}, { cartId })).cart;
    expect(before.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
    expectTotalRefused(
      await stack.call(ADD, { productId: top.id, quantity: 1 }, { cartId }),
      MAX_TOTAL_AMOUNT + MAX_UNIT_PRICE,
    );
    expect(ok(await stack.call(CART, {}, { cartId })).cart).toEqual(before);
  });

  it('lets only one of two racing adds through when both together would exceed the limit', async () => {
    const user = customer();
    const top = await product(MAX_UNIT_PRICE);
    ok(await stack.call(ADD, { productId: top.id, quantity: 19 }, user)); // 1,900,000,000
    const [x, y] = [await product(MAX_UNIT_PRICE), await product(MAX_UNIT_PRICE)];

    // Both requests have read the cart and the prices before either writes: each one fits
    // alone (2,000,000,000), together they would make 2,100,000,000.
    stack.productCalls.gate(2);
    const results = await Promise.all([
      stack.call(ADD, { productId: x.id, quantity: 1 }, user),
      stack.call(ADD, { productId: y.id, quantity: 1 }, user),
    ]);

    expect(results.map((res) => errorCodes(res)[0] ?? 'OK').sort()).toEqual([
      'BAD_USER_INPUT',
      'OK',
    ]);
    const cart = ok(await stack.call(CART, {}, user)).cart;
    expect(cart.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
    expect(cart.itemCount).toBe(20);
  });
});

describe('updateCartItem', () => {
  it('refuses a quantity that takes the total above the limit and accepts a lower one', async () => {
    const user = customer();
    const { a } = await nearlyFullCart(user.token);
    const c = await product(TEN_MILLION);
    ok(await stack.call(ADD, { productId: c.id, quantity: 2 }, user)); // exactly the limit
    const stored = await stack.redis.hgetall(user.key);

    expectTotalRefused(
      await stack.call(UPDATE, { productId: c.id, quantity: 3 }, user),
      MAX_TOTAL_AMOUNT + TEN_MILLION,
    );
    expect(await stack.redis.hgetall(user.key)).toEqual(stored);

    // Making room on one line lets another one grow.
    ok(await stack.call(UPDATE, { productId: a.id, quantity: 98 }, user));
    const cart = ok(await stack.call(UPDATE, { productId: c.id, quantity: 3 }, user));
    expect(cart.updateCartItem.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
  });
});

describe('the sign-in merge', () => {
  it('is refused as a whole when both carts together exceed the limit; both stay as they were', async () => {
    const user = customer();
    await nearlyFullCart(user.token);
    const g = await product(TEN_MILLION);
    const guestId = ok(await stack.call(ADD, { productId: g.id, quantity: 3 })).addToCart.id;
    const userBefore = await stack.redis.hgetall(user.key);
    const guestBefore = await stack.redis.hgetall(stack.guestKey(guestId));

    const refused = await stack.call(CART, {}, { token: user.token, cartId: guestId });
    expectError(refused, 'BAD_USER_INPUT', { field: 'quantity' });
    expect(refused.errors![0]!.message).toBe(
      `Your guest cart cannot be added to your cart: together they would total 2010000000 (minor units of EUR), above the ${MAX_TOTAL_AMOUNT} one cart can hold. ` +
        'Both carts are unchanged. Lower quantities in either cart, or stop sending x-cart-id to keep only your own cart.',
    );
    expect(await stack.redis.hgetall(user.key)).toEqual(userBefore);
    expect(await stack.redis.hgetall(stack.guestKey(guestId))).toEqual(guestBefore);

    // Without the guest cart's id the user's own cart is there as before.
    expect(ok(await stack.call(CART, {}, user)).cart.itemCount).toBe(198);

    // The guest trims their cart; the next signed-in request merges it up to the limit.
    ok(await stack.call(UPDATE, { productId: g.id, quantity: 2 }, { cartId: guestId }));
    const merged = ok(await stack.call(CART, {}, { token: user.token, cartId: guestId })).cart;
    expect(merged.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
    expect(merged.itemCount).toBe(200);
    expect(await stack.redis.exists(stack.guestKey(guestId))).toBe(0);
  });
});

describe('a cart above the limit because prices rose', () => {
  it('shows its lines with an error at the totals it cannot hold, and can be brought back under', async () => {
    const user = customer();
    const a = await product(TEN_MILLION);
    const b = await product(TEN_MILLION);
    ok(await stack.call(ADD, { productId: a.id, quantity: 99 }, user));
    ok(await stack.call(ADD, { productId: b.id, quantity: 50 }, user)); // 1,490,000,000
    await stack.updateProduct(a.id, { price: eur(MAX_UNIT_PRICE) }); // a alone: 9,900,000,000

    const read = await stack.call(CART, {}, user);
    expect(read.status).toBe(200);
    expect(read.data!.cart).toMatchObject({
      itemCount: 149,
      subtotal: null,
      items: [
        { product: { id: a.id }, quantity: 99, unitPrice: eur(MAX_UNIT_PRICE), lineTotal: null },
        {
          product: { id: b.id },
          quantity: 50,
          unitPrice: eur(TEN_MILLION),
          lineTotal: eur(500_000_000),
        },
      ],
    });
    expect(
      read.errors!.map((e) => [e.path!.join('.'), e.extensions!.code, e.extensions!.field]),
    ).toEqual(
      expect.arrayContaining([
        ['cart.items.0.lineTotal', 'BAD_USER_INPUT', 'quantity'],
        ['cart.subtotal', 'BAD_USER_INPUT', 'quantity'],
      ]),
    );
    expect(read.errors).toHaveLength(2);
    const subtotalError = read.errors!.find((e) => e.path!.join('.') === 'cart.subtotal')!;
    expect(subtotalError.message).toBe(
      `The cart's total is 10400000000 (minor units of EUR), above the ${MAX_TOTAL_AMOUNT} one cart can hold, ` +
        'because prices rose since it was filled. Lower a quantity or remove a line to check out.',
    );

    // Raising it further is refused; lowering is accepted even while still above the limit.
    expectError(await stack.call(ADD, { productId: b.id, quantity: 1 }, user), 'BAD_USER_INPUT', {
      field: 'quantity',
    });
    const lower = await stack.call(UPDATE, { productId: a.id, quantity: 20 }, user);
    expect(lower.data!.updateCartItem.items.map((i: any) => i.quantity)).toEqual([20, 50]);
    expect(lower.data!.updateCartItem.subtotal).toBeNull(); // 2,500,000,000
    expect(lower.errors!.map((e) => e.path!.join('.'))).toEqual(['updateCartItem.subtotal']);

    const fixed = ok(await stack.call(UPDATE, { productId: a.id, quantity: 15 }, user));
    expect(fixed.updateCartItem.subtotal).toEqual(eur(MAX_TOTAL_AMOUNT));
  });
});
