import { ConfigError } from '@shop/config';
import { DEV_OAUTH_CLIENT_SECRET, loadDeliveryConfig, missingCarrierSettings } from '../src/config';

const carrier = {
  CARRIER_API_URL: 'https://api.carrier.example',
  CARRIER_API_KEY: 'ck_live_1',
  CARRIER_WEBHOOK_SECRET: 'whsec_carrier',
};

describe('delivery config', () => {
  it('has working defaults in development, and names what the carrier still needs', () => {
    const config = loadDeliveryConfig({});
    expect(config).toMatchObject({
      DELIVERY_PORT: 4005,
      DELIVERY_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/delivery',
      DELIVERY_DATABASE_POOL_SIZE: 10,
      ORDERS_URL: 'http://127.0.0.1:4004/graphql',
      OAUTH_CLIENT_ID: 'delivery',
      OAUTH_CLIENT_SECRET: DEV_OAUTH_CLIENT_SECRET,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'shop',
      PUBSUB_CHANNEL_PREFIX: 'shop:delivery',
      OUTBOX_RELAY_ENABLED: true,
      OUTBOX_POLL_INTERVAL_MS: 1000,
      JWT_AUDIENCE: 'shop',
    });
    expect(missingCarrierSettings(config).map((m) => m.split(' ')[0])).toEqual([
      'CARRIER_API_URL',
      'CARRIER_API_KEY',
      'CARRIER_WEBHOOK_SECRET',
    ]);
    expect(missingCarrierSettings(loadDeliveryConfig(carrier))).toEqual([]);
  });

  it('refuses to start in production without the carrier credentials, naming each variable', () => {
    let error: unknown;
    try {
      loadDeliveryConfig({ NODE_ENV: 'production', OAUTH_CLIENT_SECRET: 's3cret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/CARRIER_API_URL is required: is required when NODE_ENV=production/);
    expect(message).toMatch(/CARRIER_API_KEY is required/);
    expect(message).toMatch(/CARRIER_WEBHOOK_SECRET is required: .*X-Carrier-Signature/);
    expect(
      loadDeliveryConfig({ NODE_ENV: 'production', OAUTH_CLIENT_SECRET: 's3cret', ...carrier })
        .CARRIER_API_KEY,
    ).toBe('ck_live_1');
  });

  it('requires OAUTH_CLIENT_SECRET outside development, and never the dev secret in production', () => {
    expect(() => loadDeliveryConfig({ NODE_ENV: 'test', ...carrier })).toThrow(
      /OAUTH_CLIENT_SECRET is required/,
    );
    expect(() =>
      loadDeliveryConfig({
        NODE_ENV: 'production',
        OAUTH_CLIENT_SECRET: DEV_OAUTH_CLIENT_SECRET,
        ...carrier,
      }),
    ).toThrow(/must not be the development secret/);
  });

  it('refuses malformed values, naming the variable and hiding secrets', () => {
    expect(() => loadDeliveryConfig({ DELIVERY_DATABASE_URL: 'mysql://x/y' })).toThrow(
      /DELIVERY_DATABASE_URL/,
    );
    expect(() => loadDeliveryConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadDeliveryConfig({ CARRIER_API_URL: 'carrier.example' })).toThrow(
      /CARRIER_API_URL/,
    );
    expect(() => loadDeliveryConfig({ PUBSUB_CHANNEL_PREFIX: 'a b' })).toThrow(
      /PUBSUB_CHANNEL_PREFIX/,
    );
    expect(() => loadDeliveryConfig({ DELIVERY_PORT: '70000' })).toThrow(/DELIVERY_PORT/);
    expect(() => loadDeliveryConfig({ OUTBOX_RELAY_ENABLED: 'maybe' })).toThrow(
      /OUTBOX_RELAY_ENABLED/,
    );
  });

  it('writes tracking events on four connections of their own unless told otherwise', () => {
    expect(loadDeliveryConfig({}).DELIVERY_TRACKING_WRITE_CONCURRENCY).toBe(4);
    expect(() => loadDeliveryConfig({ DELIVERY_TRACKING_WRITE_CONCURRENCY: '0' })).toThrow(
      /DELIVERY_TRACKING_WRITE_CONCURRENCY/,
    );
  });
});
