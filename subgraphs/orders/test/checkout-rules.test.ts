import { MAX_TOTAL_AMOUNT, MAX_UNIT_PRICE, TotalTooLargeError } from '@shop/money';
import { checkIdempotencyKey, pickAddress, priceOrder } from '../src/domain/checkout';

const product = (id: string, amount: number, currency = 'EUR') => ({
  id,
  sku: `SKU-${id}`,
  name: `Product ${id}`,
  price: { amount, currency },
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('checkout rules', () => {
  it('prices lines from the catalog and snapshots sku and name', () => {
    const priced = priceOrder(
      [
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 1 },
      ],
      [product('a', 1250), product('b', 999)],
    );
    expect(priced.total).toEqual({ amount: 3499, currency: 'EUR' });
    expect(priced.lines[0]).toEqual({
      productId: 'a',
      sku: 'SKU-a',
      name: 'Product a',
      unitAmount: 1250,
      quantity: 2,
    });
  });

  it('refuses an empty cart, a product no longer sold and mixed currencies', () => {
    expect(() => priceOrder([], [])).toThrow('Your cart is empty.');
    expect(() => priceOrder([{ productId: 'x', quantity: 1 }], [null])).toThrow(
      'Product x in your cart is no longer sold',
    );
    expect(() =>
      priceOrder(
        [
          { productId: 'a', quantity: 1 },
          { productId: 'b', quantity: 1 },
        ],
        [product('a', 1), product('b', 1, 'USD')],
      ),
    ).toThrow(/one currency/);
  });

  it('refuses a total or a line total above MAX_TOTAL_AMOUNT as BAD_USER_INPUT on quantity', () => {
    const line = (productId: string, quantity: number) => ({ productId, quantity });
    // Every line fits, their sum does not.
    const twoLines = () =>
      priceOrder(
        [line('a', 11), line('b', 10)],
        [product('a', MAX_UNIT_PRICE), product('b', MAX_UNIT_PRICE)],
      );
    // One line alone; and a price from before the catalog's limit (the case that reached SQL).
    const oneLine = () => priceOrder([line('a', 21)], [product('a', MAX_UNIT_PRICE)]);
    const legacyPrice = () => priceOrder([line('a', 2)], [product('a', 2_147_483_647)]);
    for (const priced of [twoLines, oneLine, legacyPrice]) {
      const error = thrownBy(priced);
      expect(error).toBeInstanceOf(TotalTooLargeError);
      expect((error as TotalTooLargeError).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'quantity',
      });
    }
    // Exactly the limit is an order like any other.
    expect(priceOrder([line('a', 20)], [product('a', MAX_UNIT_PRICE)]).total).toEqual({
      amount: MAX_TOTAL_AMOUNT,
      currency: 'EUR',
    });
  });

  it('checks idempotency keys and finds the address by id', () => {
    expect(checkIdempotencyKey('3f1c-key')).toBe('3f1c-key');
    for (const bad of ['', ' ', 'a b', 'x'.repeat(201)]) {
      expect(() => checkIdempotencyKey(bad)).toThrow(/idempotencyKey/);
    }
    expect(pickAddress([{ id: 'a1' }], 'a1')).toEqual({ id: 'a1' });
    expect(() => pickAddress([{ id: 'a1' }], 'a2')).toThrow('Shipping address a2 was not found.');
  });
});
