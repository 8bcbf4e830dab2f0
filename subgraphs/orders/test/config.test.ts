import { ConfigError } from '@shop/config';
import { DEV_OAUTH_CLIENT_SECRET, loadOrdersConfig, paymentTimeoutMs } from '../src/config';

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

  it('has queue defaults: local Redis, prefix shop, 30 minutes to pay, relay on every second', () => {
    const config = loadOrdersConfig({});
    expect(config).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'shop',
      ORDER_PAYMENT_TIMEOUT_MINUTES: 30,
      OUTBOX_POLL_INTERVAL_MS: 1000,
      OUTBOX_RELAY_ENABLED: true,
    });
    expect(paymentTimeoutMs(config)).toBe(30 * 60_000);
    expect(paymentTimeoutMs(loadOrdersConfig({ ORDER_PAYMENT_TIMEOUT_MS: '250' }))).toBe(250);
    expect(loadOrdersConfig({ OUTBOX_RELAY_ENABLED: 'false' }).OUTBOX_RELAY_ENABLED).toBe(false);
  });

  it('refuses a bad Redis URL, timeout or prefix, and the test-only timeout in production', () => {
    expect(() => loadOrdersConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadOrdersConfig({ ORDER_PAYMENT_TIMEOUT_MINUTES: '0' })).toThrow(
      /ORDER_PAYMENT_TIMEOUT_MINUTES/,
    );
    expect(() => loadOrdersConfig({ QUEUE_PREFIX: 'a b' })).toThrow(/QUEUE_PREFIX/);
    expect(() =>
      loadOrdersConfig({
        NODE_ENV: 'production',
        OAUTH_CLIENT_SECRET: 's3cret-value',
        ORDER_PAYMENT_TIMEOUT_MS: '10',
      }),
    ).toThrow(/ORDER_PAYMENT_TIMEOUT_MS/);
  });
});
