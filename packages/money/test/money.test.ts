import {
  isCurrency,
  MAX_TOTAL_AMOUNT,
  MAX_UNIT_PRICE,
  multiply,
  parseMoney,
  sum,
  TotalTooLargeError,
} from '../src';

describe('money', () => {
  it('knows ISO 4217 currencies', () => {
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('JPY')).toBe(true);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
  });

  it('accepts positive integer minor units and upper-cases the currency', () => {
    expect(parseMoney({ amount: 1999, currency: 'eur' })).toEqual({
      amount: 1999,
      currency: 'EUR',
    });
  });

  it.each([0, -5, 19.99, Number.MAX_SAFE_INTEGER + 2])(
    'refuses the amount %p, naming the field',
    (amount) => {
      expect(() => parseMoney({ amount, currency: 'EUR' })).toThrow(
        expect.objectContaining({
          extensions: expect.objectContaining({ field: 'price.amount', code: 'BAD_USER_INPUT' }),
        }),
      );
    },
  );

  it('refuses unknown currencies', () => {
    expect(() => parseMoney({ amount: 100, currency: 'EURO' })).toThrow(/ISO 4217/);
  });

  it('multiplies and sums in one currency, refusing a mix', () => {
    expect(
      sum([multiply({ amount: 250, currency: 'EUR' }, 3), { amount: 100, currency: 'EUR' }], 'EUR'),
    ).toEqual({ amount: 850, currency: 'EUR' });
    expect(() => sum([{ amount: 1, currency: 'USD' }], 'EUR')).toThrow(/one currency/);
  });
});

describe('amount limits', () => {
  it('refuses a unit price above MAX_UNIT_PRICE, naming the field', () => {
    expect(parseMoney({ amount: MAX_UNIT_PRICE, currency: 'EUR' }).amount).toBe(MAX_UNIT_PRICE);
    expect(() => parseMoney({ amount: 2_147_483_647, currency: 'EUR' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ field: 'price.amount' }) }),
    );
  });

  it('refuses a total above MAX_TOTAL_AMOUNT as BAD_USER_INPUT, never a RangeError', () => {
    const dear = { amount: MAX_UNIT_PRICE, currency: 'EUR' };
    expect(multiply(dear, 20).amount).toBe(MAX_TOTAL_AMOUNT);
    expect(() => multiply(dear, 21)).toThrow(TotalTooLargeError);
    expect(() => sum([multiply(dear, 20), { amount: 1, currency: 'EUR' }], 'EUR')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });
});
