import { createLogger } from '@shop/logging';
import {
  createTestDatabase,
  deleteKeys,
  TEST_REDIS_URL,
  testKeyPrefix,
  type TestDatabase,
} from '@shop/test-harness';
import { loadDeliveryConfig, type DeliveryConfig } from '../../src/config';
import { startDeliveryService, type DeliveryService } from '../../src/server';
import { startFakeCarrier, type FakeCarrier } from './fake-carrier';

/** The OAuth client the delivery service signs in with; give it to the users service. */
export const DELIVERY_CLIENT = { id: 'delivery', secret: 'delivery-test-secret-0123456789' };
/** For users' OAUTH_CLIENTS: delivery reads orders (who owns one, where it goes). */
export const DELIVERY_OAUTH_CLIENT = `${DELIVERY_CLIENT.id}:${DELIVERY_CLIENT.secret}:orders:read`;
/** The secret the (fake) carrier signs its webhooks with. */
export const CARRIER_WEBHOOK_SECRET = 'carrier-webhook-test-secret';

/** Where the delivery service finds the services it calls, and whose tokens it trusts. */
export interface DeliveryNeighbours {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The orders subgraph (GraphQL URL). */
  ordersUrl: string;
  /** The users service's token endpoint (client credentials as DELIVERY_CLIENT). */
  oauthTokenUrl: string;
  /** The carrier API; without it the fixture starts a local fake carrier of its own. */
  carrierApiUrl?: string;
  carrierApiKey?: string;
}

export interface DeliveryFixture {
  service: DeliveryService;
  config: DeliveryConfig;
  db: TestDatabase;
  /** The fake carrier the fixture started, when none was given. */
  carrier: FakeCarrier | null;
  stop: () => Promise<void>;
}

/**
 * The delivery service on an ephemeral port with a database, a pub/sub channel prefix and
 * (unless QUEUE_PREFIX is given, to share queues with orders) BullMQ keys of its own.
 */
export async function startDeliveryFixture(
  neighbours: DeliveryNeighbours,
  env: Record<string, string> = {},
): Promise<DeliveryFixture> {
  const db = await createTestDatabase('delivery');
  const ownQueuePrefix = env.QUEUE_PREFIX ? null : testKeyPrefix('delivery').replace(/:$/, '');
  const pubsubPrefix = testKeyPrefix('delivery-events').replace(/:$/, '');
  const carrier = neighbours.carrierApiUrl ? null : await startFakeCarrier();
  const cleanUp = async () => {
    await Promise.all([
      db.drop(),
      carrier?.stop(),
      ownQueuePrefix ? deleteKeys(`${ownQueuePrefix}:`) : undefined,
    ]);
  };
  let config: DeliveryConfig;
  let service: DeliveryService;
  try {
    config = loadDeliveryConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DELIVERY_PORT: '0',
      DELIVERY_DATABASE_URL: db.url,
      DELIVERY_DATABASE_POOL_SIZE: '5',
      JWKS_URL: neighbours.jwksUrl,
      JWT_ISSUER: neighbours.issuer,
      JWT_AUDIENCE: neighbours.audience,
      ORDERS_URL: neighbours.ordersUrl,
      OAUTH_TOKEN_URL: neighbours.oauthTokenUrl,
      OAUTH_CLIENT_ID: DELIVERY_CLIENT.id,
      OAUTH_CLIENT_SECRET: DELIVERY_CLIENT.secret,
      REDIS_URL: TEST_REDIS_URL,
      PUBSUB_CHANNEL_PREFIX: pubsubPrefix,
      CARRIER_API_URL: neighbours.carrierApiUrl ?? carrier!.url,
      CARRIER_API_KEY: neighbours.carrierApiKey ?? carrier!.apiKey,
      CARRIER_WEBHOOK_SECRET,
      OUTBOX_POLL_INTERVAL_MS: '100',
      ...(ownQueuePrefix ? { QUEUE_PREFIX: ownQueuePrefix } : {}),
      ...env,
    });
    // TEST_LOG_LEVEL=debug shows the service's logs while a test runs.
    service = await startDeliveryService(
      config,
      createLogger('delivery', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    service,
    config,
    db,
    carrier,
    stop: async () => {
      await service.stop();
      await cleanUp();
    },
  };
}
