import { ServiceTokenClient } from '@shop/auth';
import type { Logger } from '@shop/logging';
import { SubgraphClient } from '@shop/subgraph-client';
import { HttpCarrierClient, UnconfiguredCarrier, type CarrierClient } from './carrier/carrier';
import {
  missingCarrierSettings,
  TRACKING_RETRY_AFTER_SECONDS,
  type DeliveryConfig,
} from './config';
import { TrackingService } from './services/tracking-service';
import { WriteQueue } from './services/write-queue';
import { DeliveryEvents } from './events/delivery-events';
import { OrdersClient } from './store/orders';
import { createPrisma } from './store/prisma';
import { ShipmentStore } from './store/shipment';
import { TrackingWrites } from './store/tracking-writes';

/**
 * The delivery service's stores, clients and domain services, built once per process: the
 * API (src/main.ts) and the worker process (src/worker.ts) wire the same ones, so a label
 * job records its tracking steps exactly as a request would (and publishes them to every
 * replica's subscribers through Redis).
 */
export function createDeliveryServices(config: DeliveryConfig, logger: Logger) {
  const prisma = createPrisma(config.DELIVERY_DATABASE_URL, config.DELIVERY_DATABASE_POOL_SIZE);
  const shipments = new ShipmentStore(prisma);
  const orders = new OrdersClient(
    new SubgraphClient({
      name: 'orders',
      url: config.ORDERS_URL,
      timeoutMs: config.ORDERS_TIMEOUT_MS,
      tokens: new ServiceTokenClient({
        tokenUrl: config.OAUTH_TOKEN_URL,
        clientId: config.OAUTH_CLIENT_ID,
        clientSecret: config.OAUTH_CLIENT_SECRET,
      }),
    }),
  );
  const missing = missingCarrierSettings(config);
  if (missing.length) {
    logger.warn(
      `carrier not fully configured; set ${missing.join('; ')}. Until then paid orders wait ` +
        'in PENDING (label jobs are retried) and POST /webhooks/carrier answers 503.',
    );
  }
  const carrier: CarrierClient =
    config.CARRIER_API_URL && config.CARRIER_API_KEY
      ? new HttpCarrierClient({
          apiUrl: config.CARRIER_API_URL,
          apiKey: config.CARRIER_API_KEY,
          timeoutMs: config.CARRIER_TIMEOUT_MS,
        })
      : new UnconfiguredCarrier(missing);
  const events = new DeliveryEvents(
    {
      redisUrl: config.REDIS_URL,
      channelPrefix: config.PUBSUB_CHANNEL_PREFIX,
      bufferSize: config.SUBSCRIPTION_BUFFER_SIZE,
    },
    logger,
  );
  const steps = new TrackingWrites(
    config.DELIVERY_DATABASE_URL,
    config.DELIVERY_TRACKING_WRITE_CONCURRENCY,
    // A row lock held longer than an event may wait for its turn is refused the same way.
    config.DELIVERY_TRACKING_QUEUE_WAIT_MS,
  );
  const writes = new WriteQueue({
    concurrency: config.DELIVERY_TRACKING_WRITE_CONCURRENCY,
    queueLimit: config.DELIVERY_TRACKING_QUEUE_LIMIT,
    maxWaitMs: config.DELIVERY_TRACKING_QUEUE_WAIT_MS,
    retryAfterSeconds: TRACKING_RETRY_AFTER_SECONDS,
  });
  const tracking = new TrackingService(prisma, shipments, events, steps, writes, logger);
  return {
    prisma,
    shipments,
    orders,
    carrier,
    events,
    steps,
    tracking,
    /** After the last request and job: pub/sub, the databases and the orders client. */
    close: async () => {
      await events.close();
      await Promise.all([prisma.$disconnect(), steps.close(), orders.close()]);
    },
  };
}

export type DeliveryServices = ReturnType<typeof createDeliveryServices>;
