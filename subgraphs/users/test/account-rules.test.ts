import { ShopError } from '@shop/errors';
import { checkPassword, normaliseEmail, normalisePhone } from '../src/domain/account';
import { normaliseAddress } from '../src/domain/address';
import { parseOAuthClients } from '../src/domain/oauth-clients';

function failure(fn: () => unknown): { code: string; field?: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as ShopError;
    return { code: e.code, field: e.extensions.field, message: e.message };
  }
  throw new Error('expected a failure');
}

describe('account rules', () => {
  it('normalises e-mail to lower case without surrounding spaces', () => {
    expect(normaliseEmail('  Ann.Smith@Shop.Example ')).toBe('ann.smith@shop.example');
  });

  it.each(['', 'ann', 'ann@', '@shop.example', 'ann@shop', 'ann smith@shop.example', 'a@b@c.de'])(
    'refuses the malformed e-mail %j',
    (email) => {
      expect(failure(() => normaliseEmail(email))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'email',
      });
    },
  );

  it('requires passwords of at least 10 characters and says so', () => {
    expect(failure(() => checkPassword('123456789'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'password',
      message: 'The password must be at least 10 characters long.',
    });
    expect(() => checkPassword('1234567890')).not.toThrow();
  });

  it('accepts phone numbers in international format only', () => {
    expect(normalisePhone('+49 151 1234-5678')).toBe('+4915112345678');
    expect(normalisePhone('')).toBeNull();
    expect(failure(() => normalisePhone('0151 12345678'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'phone',
    });
  });
});

describe('address rules', () => {
  const valid = { line1: ' Main Street 1 ', city: 'Berlin', postalCode: '10115', country: 'de' };

  it('trims fields and upper-cases the country code', () => {
    expect(normaliseAddress(valid)).toEqual({
      line1: 'Main Street 1',
      line2: null,
      city: 'Berlin',
      postalCode: '10115',
      country: 'DE',
    });
  });

  it('refuses unknown country codes and empty required fields, naming the field', () => {
    expect(failure(() => normaliseAddress({ ...valid, country: 'XX' }))).toMatchObject({
      field: 'country',
    });
    expect(failure(() => normaliseAddress({ ...valid, country: 'Germany' }))).toMatchObject({
      field: 'country',
    });
    expect(failure(() => normaliseAddress({ ...valid, city: '  ' }))).toMatchObject({
      field: 'city',
      message: 'City is required.',
    });
  });
});

describe('OAuth client config', () => {
  it('keeps the colons inside scope names', () => {
    expect(
      parseOAuthClients(
        'worker:0123456789abcdef:users:read+products:reserve, other:fedcba9876543210:',
      ),
    ).toEqual([
      {
        clientId: 'worker',
        secret: '0123456789abcdef',
        scopes: ['users:read', 'products:reserve'],
      },
      { clientId: 'other', secret: 'fedcba9876543210', scopes: [] },
    ]);
    expect(() => parseOAuthClients('worker:short:users:read')).toThrow(/16\+ characters/);
  });
});
