import { isCurrency, multiply, parseMoney, sum } from '../src';

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
