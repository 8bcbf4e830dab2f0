// The cart's rules, without Redis or the products subgraph.
import { ErrorCode, ShopError } from '@shop/errors';
import { MAX_TOTAL_AMOUNT, MAX_UNIT_PRICE } from '@shop/money';
import {
  addedQuantity,
  assertCurrencyFits,
  assertLineQuantity,
  assertTotalFits,
  cartAmount,
  mergedQuantity,
  planMerge,
  priceCart,
  quantityLimit,
  tooManyLines,
  totalAboveLimit,
  validateProductId,
  validateQuantity,
  type CatalogProduct,
} from '../src/domain/cart';

const product = (id: string, amount: number, stock: number, currency = 'EUR'): CatalogProduct => ({
  id,
  name: `Product ${id}`,
  price: { amount, currency },
  stock,
});

/** The ShopError a call throws, for asserting code and extensions together. */
function thrown(fn: () => unknown): ShopError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ShopError) return error;
    throw error;
  }
  throw new Error('expected a ShopError, nothing was thrown');
}

describe('quantity rules', () => {
  it('accept whole numbers from 1 to 99', () => {
    expect(validateQuantity(1)).toBe(1);
    expect(validateQuantity(99)).toBe(99);
  });

  it.each([0, -1, 100, 1.5, Number.NaN])('refuse %p as BAD_USER_INPUT on quantity', (q) => {
    const error = thrown(() => validateQuantity(q));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.extensions.field).toBe('quantity');
  });

  it('allow 0 where it means "remove" (updateCartItem)', () => {
    expect(validateQuantity(0, { allowZero: true })).toBe(0);
    expect(thrown(() => validateQuantity(-1, { allowZero: true })).extensions.field).toBe(
      'quantity',
    );
  });

  it('refuse empty and oversized product ids as BAD_USER_INPUT on productId', () => {
    expect(validateProductId('65f0c0ffee0000000000abcd')).toBe('65f0c0ffee0000000000abcd');
    for (const id of ['', 'x'.repeat(129), 'a b']) {
      expect(thrown(() => validateProductId(id)).extensions.field).toBe('productId');
    }
  });

  it('key lines by the canonical (lower-case) product id, whatever the spelling', () => {
    expect(validateProductId('65F0C0FFEE0000000000ABCD')).toBe('65f0c0ffee0000000000abcd');
    expect(validateProductId('65f0C0ffEE0000000000AbCd')).toBe('65f0c0ffee0000000000abcd');
  });

  it.each([
    'no-such-product',
    '65f0c0ffee0000000000abc',
    '65f0c0ffee0000000000abcdd',
    'g'.repeat(24),
  ])('refuse %p, which cannot be a product id, as NOT_FOUND', (id) => {
    expect(thrown(() => validateProductId(id)).code).toBe(ErrorCode.NOT_FOUND);
  });

  it('name the limit of different products in a cart (BAD_USER_INPUT on productId)', () => {
    const error = tooManyLines(100);
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.extensions.field).toBe('productId');
    expect(error.message).toBe(
      'A cart holds at most 100 different products; remove one before adding another.',
    );
  });

  it('limit a line to its stock and to 99', () => {
    expect(quantityLimit(product('a', 100, 5))).toBe(5);
    expect(quantityLimit(product('a', 100, 500))).toBe(99);
    expect(quantityLimit(product('a', 100, -3))).toBe(0);
  });

  it('add to what is in the cart, and validate the sum', () => {
    const p = product('a', 100, 50);
    expect(addedQuantity(0, 3, p)).toBe(3);
    expect(addedQuantity(10, 40, p)).toBe(50);

    const stock = thrown(() => addedQuantity(10, 41, p));
    expect(stock.code).toBe(ErrorCode.OUT_OF_STOCK);
    expect(stock.extensions).toMatchObject({ available: 50, inCart: 10, productId: 'a' });

    const many = thrown(() => addedQuantity(90, 10, product('b', 100, 1000)));
    expect(many.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(many.extensions.field).toBe('quantity');
    expect(many.message).toContain('already has 90');
  });

  it('report the 99 limit before the stock, and an empty stock as available 0', () => {
    expect(thrown(() => assertLineQuantity(120, product('a', 1, 50))).code).toBe(
      ErrorCode.BAD_USER_INPUT,
    );
    const none = thrown(() => assertLineQuantity(1, product('a', 1, 0)));
    expect(none.code).toBe(ErrorCode.OUT_OF_STOCK);
    expect(none.extensions.available).toBe(0);
    expect(none.message).toBe('"Product a" is out of stock.');
  });
});

describe('merge arithmetic', () => {
  it('adds the quantities, capped by the limit', () => {
    expect(mergedQuantity(2, 3, 99)).toBe(5);
    expect(mergedQuantity(2, 3, 4)).toBe(4);
    expect(mergedQuantity(60, 60, 99)).toBe(99);
    expect(mergedQuantity(0, 7, 5)).toBe(5);
  });

  it('leaves out new lines beyond the limit of different products', () => {
    const products = new Map<string, CatalogProduct | null>(
      ['a', 'b', 'c', 'd', 'none'].map((id) => [id, product(id, 100, id === 'none' ? 0 : 10)]),
    );
    const plan = planMerge(
      [{ productId: 'a', quantity: 1 }],
      [
        { productId: 'none', quantity: 1 },
        { productId: 'b', quantity: 1 },
        { productId: 'a', quantity: 1 },
        { productId: 'c', quantity: 1 },
        { productId: 'd', quantity: 1 },
      ],
      products,
      3,
    );
    expect(plan.set).toEqual([
      { productId: 'b', quantity: 1 },
      { productId: 'a', quantity: 2 },
      { productId: 'c', quantity: 1 },
    ]);
    expect(plan.skipped).toEqual([
      { productId: 'none', reason: 'no-stock-left' },
      { productId: 'd', reason: 'too-many-lines' },
    ]);
  });

  it('never takes away what the user cart already held', () => {
    expect(mergedQuantity(8, 3, 5)).toBe(8);
    expect(mergedQuantity(8, 0, 0)).toBe(8);
  });

  it('plans the user cart lines that change, in guest order', () => {
    const products = new Map<string, CatalogProduct | null>([
      ['a', product('a', 100, 10)],
      ['b', product('b', 200, 3)],
      ['c', product('c', 300, 500)],
      ['gone', null],
    ]);
    const plan = planMerge(
      [
        { productId: 'a', quantity: 4 },
        { productId: 'b', quantity: 3 },
      ],
      [
        { productId: 'c', quantity: 80 },
        { productId: 'gone', quantity: 1 },
        { productId: 'a', quantity: 9 },
        { productId: 'b', quantity: 2 },
      ],
      products,
    );
    expect(plan.set).toEqual([
      { productId: 'c', quantity: 80 },
      { productId: 'a', quantity: 10 },
    ]);
    expect(plan.skipped).toEqual([
      { productId: 'gone', reason: 'vanished' },
      { productId: 'a', reason: 'no-stock-left' },
      { productId: 'b', reason: 'no-stock-left' },
    ]);
  });

  it('caps merged lines at 99 even with more stock', () => {
    const products = new Map([['a', product('a', 100, 1000)]]);
    const plan = planMerge(
      [{ productId: 'a', quantity: 70 }],
      [{ productId: 'a', quantity: 70 }],
      products,
    );
    expect(plan.set).toEqual([{ productId: 'a', quantity: 99 }]);
  });

  it('keeps one currency: guest lines in another currency stay out', () => {
    const products = new Map([
      ['eur', product('eur', 100, 10, 'EUR')],
      ['usd', product('usd', 100, 10, 'USD')],
    ]);
    const plan = planMerge(
      [{ productId: 'eur', quantity: 1 }],
      [{ productId: 'usd', quantity: 1 }],
      products,
    );
    expect(plan.set).toEqual([]);
    expect(plan.skipped).toEqual([{ productId: 'usd', reason: 'currency' }]);
  });

  it('gives an empty user cart the guest cart currency', () => {
    const products = new Map([['usd', product('usd', 100, 10, 'USD')]]);
    expect(planMerge([], [{ productId: 'usd', quantity: 2 }], products).set).toEqual([
      { productId: 'usd', quantity: 2 },
    ]);
  });
});

describe('totals', () => {
  const products = new Map<string, CatalogProduct | null>([
    ['a', product('a', 1999, 10)],
    ['b', product('b', 250, 10)],
    ['gone', null],
  ]);

  it('are line totals and their sum, from the catalog price', () => {
    const { view, vanished } = priceCart(
      'cart-1',
      [
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 3 },
      ],
      products,
      'EUR',
    );
    expect(vanished).toEqual([]);
    expect(view.items.map((l) => [l.productId, l.unitPrice.amount, l.lineTotal?.amount])).toEqual([
      ['a', 1999, 3998],
      ['b', 250, 750],
    ]);
    expect(view.itemCount).toBe(5);
    expect(view.subtotal).toEqual({ amount: 4748, currency: 'EUR' });
  });

  it('of an empty cart are zero in the default currency', () => {
    const { view } = priceCart('cart-1', [], products, 'CHF');
    expect(view).toEqual({
      id: 'cart-1',
      items: [],
      itemCount: 0,
      subtotal: { amount: 0, currency: 'CHF' },
      totalAmount: 0,
      currency: 'CHF',
    });
  });

  it('take the currency of the lines, not the default', () => {
    const usd = new Map([['u', product('u', 500, 10, 'USD')]]);
    expect(priceCart('c', [{ productId: 'u', quantity: 1 }], usd, 'EUR').view.subtotal).toEqual({
      amount: 500,
      currency: 'USD',
    });
  });

  it('leave out products that vanished from the catalog, and name them', () => {
    const { view, vanished } = priceCart(
      'cart-1',
      [
        { productId: 'gone', quantity: 1 },
        { productId: 'b', quantity: 1 },
      ],
      products,
      'EUR',
    );
    expect(view.items.map((l) => l.productId)).toEqual(['b']);
    expect(view.subtotal?.amount).toBe(250);
    expect(vanished).toEqual(['gone']);
  });

  it('refuse to add up two currencies, naming the line to remove', () => {
    const mixed = new Map([
      ['a', product('a', 100, 10, 'EUR')],
      ['u', product('u', 100, 10, 'USD')],
    ]);
    const error = thrown(() =>
      priceCart(
        'c',
        [
          { productId: 'a', quantity: 1 },
          { productId: 'u', quantity: 1 },
        ],
        mixed,
        'EUR',
      ),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.message).toContain('"Product u" is now priced in USD');
  });
});

describe('the total limit (MAX_TOTAL_AMOUNT)', () => {
  const top = (id: string) => product(id, MAX_UNIT_PRICE, 99);

  it('refuses a change that takes the total above it, with BAD_USER_INPUT on quantity', () => {
    const error = thrown(() => assertTotalFits(1_900_000_000, MAX_TOTAL_AMOUNT + 1, 'EUR'));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.extensions.field).toBe('quantity');
    expect(error.message).toBe(
      "This would take the cart's total to 2000000001 (minor units of EUR), above the " +
        '2000000000 one cart can hold. Lower the quantity, or check out what is in the cart ' +
        'first. The cart is unchanged.',
    );
  });

  it('accepts a total exactly at it, and any change that lowers the total', () => {
    expect(() => assertTotalFits(0, MAX_TOTAL_AMOUNT, 'EUR')).not.toThrow();
    // Prices rose above the limit: lowering a quantity must stay possible.
    expect(() => assertTotalFits(9_000_000_000, 5_000_000_000, 'EUR')).not.toThrow();
    expect(() => assertTotalFits(9_000_000_000, 9_000_000_000, 'EUR')).not.toThrow();
    expect(thrown(() => assertTotalFits(9_000_000_000, 9_100_000_000, 'EUR')).code).toBe(
      ErrorCode.BAD_USER_INPUT,
    );
  });

  it('counts the lines at current prices, vanished products as nothing', () => {
    const products = new Map<string, CatalogProduct | null>([
      ['a', top('a')],
      ['b', product('b', 250, 10)],
      ['gone', null],
    ]);
    const entries = [
      { productId: 'a', quantity: 99 },
      { productId: 'b', quantity: 2 },
      { productId: 'gone', quantity: 5 },
    ];
    expect(cartAmount(entries, products)).toBe(99 * MAX_UNIT_PRICE + 500);
  });

  it('leaves a cart above it readable: lines priced, totals it cannot hold null', () => {
    const products = new Map<string, CatalogProduct | null>([
      ['a', top('a')],
      ['b', top('b')],
    ]);
    const { view } = priceCart(
      'c',
      [
        { productId: 'a', quantity: 15 },
        { productId: 'b', quantity: 21 },
      ],
      products,
      'EUR',
    );
    expect(view.items.map((l) => [l.quantity, l.unitPrice.amount, l.lineTotal])).toEqual([
      [15, MAX_UNIT_PRICE, { amount: 15 * MAX_UNIT_PRICE, currency: 'EUR' }],
      [21, MAX_UNIT_PRICE, null],
    ]);
    expect(view.itemCount).toBe(36);
    expect(view.subtotal).toBeNull();
    expect(view.totalAmount).toBe(36 * MAX_UNIT_PRICE);

    const error = totalAboveLimit(view.totalAmount, view.currency, 'cart');
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'quantity' });
    expect(error.message).toContain("The cart's total is 3600000000 (minor units of EUR)");
  });
});

describe('currency of a cart', () => {
  const eurCart = priceCart(
    'c',
    [{ productId: 'a', quantity: 1 }],
    new Map([['a', product('a', 100, 10, 'EUR')]]),
    'EUR',
  ).view;

  it('refuses a product in another currency with BAD_USER_INPUT on productId', () => {
    const error = thrown(() => assertCurrencyFits(eurCart, product('u', 100, 10, 'USD')));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.extensions.field).toBe('productId');
  });

  it('accepts the same currency, and anything in an empty cart', () => {
    expect(() => assertCurrencyFits(eurCart, product('b', 100, 10, 'EUR'))).not.toThrow();
    const empty = priceCart('c', [], new Map(), 'EUR').view;
    expect(() => assertCurrencyFits(empty, product('u', 100, 10, 'USD'))).not.toThrow();
  });
});
