// Cart ids and configuration: pure functions, no I/O.
import { ConfigError } from '@shop/config';
import { ShopError } from '@shop/errors';
import { loadCartConfig } from '../src/config';
import { newGuestCartId, parseCartIdHeader, userCartId } from '../src/domain/cart-id';

describe('cart ids', () => {
  it('are 128 random bits, URL-safe, and different every time', () => {
    const ids = new Set(Array.from({ length: 1000 }, newGuestCartId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('of a user are stable, per user, and in the guest format', () => {
    expect(userCartId('user-1')).toBe(userCartId('user-1'));
    expect(userCartId('user-1')).not.toBe(userCartId('user-2'));
    expect(parseCartIdHeader(userCartId('user-1'))).toBe(userCartId('user-1'));
  });

  it('are read from the header: absent is undefined, well formed is the id', () => {
    const id = newGuestCartId();
    expect(parseCartIdHeader(undefined)).toBeUndefined();
    expect(parseCartIdHeader('')).toBeUndefined();
    expect(parseCartIdHeader(id)).toBe(id);
    expect(parseCartIdHeader(` ${id} `)).toBe(id);
  });

  it.each([
    'not-a-cart',
    'x'.repeat(23),
    'AAAAAAAAAAAAAAAAAAAAA+', // base64, not base64url
    'AAAAAAAAAAAAAAAAAAAAAB', // not the canonical encoding of 16 bytes
    'cart:user:1 AAAAAAAAAA',
  ])('refuses the malformed header %p as BAD_USER_INPUT', (value) => {
    try {
      parseCartIdHeader(value);
      throw new Error('accepted a malformed id');
    } catch (error) {
      expect(error).toBeInstanceOf(ShopError);
      expect((error as ShopError).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'x-cart-id',
      });
    }
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadCartConfig({})).toMatchObject({
      NODE_ENV: 'development',
      CART_PORT: 4003,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'cart:',
      CART_TTL_DAYS: 30,
      CART_EMPTY_TTL_MINUTES: 60,
      CART_MAX_LINES: 100,
      DEFAULT_CURRENCY: 'EUR',
      PRODUCTS_URL: 'http://127.0.0.1:4002/graphql',
      JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json',
      JWT_ISSUER: 'http://localhost:4001',
      JWT_AUDIENCE: 'shop',
    });
  });

  it('names every bad variable', () => {
    let problem: unknown;
    try {
      loadCartConfig({
        DEFAULT_CURRENCY: 'XYZ',
        CART_TTL_DAYS: '0',
        PRODUCTS_URL: 'products',
        CART_MAX_LINES: '0',
        CART_EMPTY_TTL_MINUTES: 'soon',
      });
    } catch (error) {
      problem = error;
    }
    expect(problem).toBeInstanceOf(ConfigError);
    const { message } = problem as ConfigError;
    expect(message).toContain('DEFAULT_CURRENCY="XYZ" is invalid');
    expect(message).toContain('CART_TTL_DAYS="0" is invalid');
    expect(message).toContain('PRODUCTS_URL="products" is invalid');
    expect(message).toContain('CART_MAX_LINES="0" is invalid');
    expect(message).toContain('CART_EMPTY_TTL_MINUTES="soon" is invalid');
  });

  it('accepts any ISO currency as the default', () => {
    expect(loadCartConfig({ DEFAULT_CURRENCY: 'JPY' }).DEFAULT_CURRENCY).toBe('JPY');
    expect(() => loadCartConfig({ DEFAULT_CURRENCY: 'eur' })).toThrow(ConfigError);
  });
});
