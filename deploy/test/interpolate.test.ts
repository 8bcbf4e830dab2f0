// The Compose interpolation that compose.test.ts relies on, resolved with no variable set.
import { interpolate, REQUIRED_PLACEHOLDER } from './support/compose';

describe('interpolate', () => {
  it('takes the default of ${VAR:-default} and ${VAR-default}, inside a longer value', () => {
    expect(interpolate('postgres://postgres:${PASSWORD:-postgres}@postgres:5432/users')).toBe(
      'postgres://postgres:postgres@postgres:5432/users',
    );
    expect(interpolate('${A-x}${B:-}')).toBe('x');
  });

  it('interpolates defaults that are themselves interpolated', () => {
    expect(interpolate('${A:-${B:-nested}}')).toBe('nested');
  });

  it('fills a required ${VAR:?message} with a placeholder', () => {
    expect(interpolate('${JWT_PRIVATE_KEYS:?set the signing keys}')).toBe(REQUIRED_PLACEHOLDER);
  });

  it('keeps $$ as a literal $ and ${VAR:+alt} empty', () => {
    expect(interpolate('a$$b${A:+alt}')).toBe('a$b');
  });

  it('refuses a variable without default, which would depend on the shell', () => {
    expect(() => interpolate('${NODE_ENV}')).toThrow(/no default/);
    expect(() => interpolate('$NODE_ENV')).toThrow(/no default/);
  });
});
