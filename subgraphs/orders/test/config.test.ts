import { ConfigError } from '@shop/config';
import { DEV_OAUTH_CLIENT_SECRET, loadOrdersConfig } from '../src/config';

describe('orders config', () => {
  it('has working defaults in development', () => {
    const config = loadOrdersConfig({});
    expect(config.ORDERS_PORT).toBe(4004);
    expect(config.OAUTH_CLIENT_ID).toBe('orders');
    expect(config.OAUTH_CLIENT_SECRET).toBe(DEV_OAUTH_CLIENT_SECRET);
    expect(config.STRIPE_SECRET_KEY).toBe('');
    expect(config.JWT_AUDIENCE).toBe('shop');
  });

  it('requires OAUTH_CLIENT_SECRET outside development, naming the variable', () => {
    expect(() => loadOrdersConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadOrdersConfig({ NODE_ENV: 'test' })).toThrow(/OAUTH_CLIENT_SECRET is required/);
    expect(() =>
      loadOrdersConfig({ NODE_ENV: 'production', OAUTH_CLIENT_SECRET: DEV_OAUTH_CLIENT_SECRET }),
    ).toThrow(/must not be the development secret/);
  });

  it('refuses malformed URLs', () => {
    expect(() => loadOrdersConfig({ STRIPE_API_URL: 'localhost:12111' })).toThrow(/STRIPE_API_URL/);
    expect(() => loadOrdersConfig({ ORDERS_DATABASE_URL: 'mysql://x/y' })).toThrow(
      /ORDERS_DATABASE_URL/,
    );
  });
});
