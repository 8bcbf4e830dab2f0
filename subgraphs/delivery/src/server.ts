import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { remoteJwks, ServiceTokenClient, TokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { OutboxRelay, Queues } from '@shop/queues';
import { SubgraphClient } from '@shop/subgraph-client';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import { HttpCarrierClient, UnconfiguredCarrier, type CarrierClient } from './carrier/carrier';
import {
  missingCarrierSettings,
  TRACKING_RETRY_AFTER_SECONDS,
  type DeliveryConfig,
} from './config';
import { createLoaders, type Context } from './context';
import { TrackingService } from './domain/tracking-service';
import { WriteQueue } from './domain/write-queue';
import { DeliveryEvents } from './events/delivery-events';
import { startDeliveryWorker } from './jobs/delivery-worker';
import { deliveryUpdatedResolvers } from './resolvers/delivery-updated';
import { shipmentResolvers } from './resolvers/shipment';
import { carrierWebhookRoute } from './routes/carrier-webhook';
import { serveSubscriptions } from './routes/subscriptions';
import { OrdersClient } from './store/orders';
import { createPrisma } from './store/prisma';
import { ShipmentStore } from './store/shipment';
import { TrackingWrites } from './store/tracking-writes';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface DeliveryService extends RunningSubgraph {
  /** ws://…/graphql: graphql-ws on the same server and path as HTTP queries. */
  wsUrl: string;
  /** Local subscribers and the Redis channels this replica listens on. */
  subscriptions: () => { subscribers: number; channels: number };
}

/**
 * Wires the delivery subgraph: database, orders and carrier clients, the label worker, the
 * outbox relay, Redis pub/sub, HTTP GraphQL, the carrier webhook and graphql-ws subscriptions.
 */
export async function startDeliveryService(
  config: DeliveryConfig,
  logger: Logger = createLogger('delivery', config.LOG_LEVEL),
): Promise<DeliveryService> {
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
  const verifier = new TokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: [config.JWT_AUDIENCE, config.SERVICE_TOKEN_AUDIENCE],
    keys: remoteJwks(config.JWKS_URL),
  });

  const read = shipmentResolvers(tracking);
  const live = deliveryUpdatedResolvers(events, orders);
  let running: RunningSubgraph;
  try {
    running = await startSubgraph<Context>(
      {
        name: 'delivery',
        typeDefs,
        resolvers: { ...read, ...live },
        verifier,
        logger,
        context: (base) => ({ ...base, loaders: createLoaders(shipments) }),
        routes: (app) => carrierWebhookRoute(app, config.CARRIER_WEBHOOK_SECRET, tracking, logger),
        ready: async () => {
          await prisma.$queryRaw`SELECT 1`;
        },
      },
      config.DELIVERY_PORT,
    );
  } catch (error) {
    await events.close();
    await Promise.all([prisma.$disconnect(), steps.close(), orders.close()]);
    throw error;
  }

  // graphql-ws on the same HTTP server and path as queries. Each subscription is
  // authenticated by its own token (sent by the router in its extensions) or by its
  // socket's connection_init (direct clients); see routes/subscriptions.ts and README.md.
  const ws = serveSubscriptions({
    httpServer: running.httpServer,
    schema: running.schema,
    verifier,
    shipments,
    keepAliveMs: config.SUBSCRIPTION_KEEPALIVE_MS,
    logger,
  });

  // Redis connections for BullMQ open only once the server is up, so a failed start leaks none.
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const relay = new OutboxRelay(prisma, queues, logger, {
    intervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  });
  startDeliveryWorker(
    queues,
    { shipments, tracking, orders, carrier },
    logger,
    config.DELIVERY_WORKER_CONCURRENCY,
  );
  if (config.OUTBOX_RELAY_ENABLED) relay.start();
  else logger.warn('OUTBOX_RELAY_ENABLED=false: outbox rows are not published by this process');

  return {
    ...running,
    wsUrl: running.url.replace(/^http/, 'ws'),
    subscriptions: () => events.stats(),
    stop: async () => {
      // Subscribers first (a WebSocket would keep the HTTP server from closing), then HTTP,
      // then the worker finishes its running jobs and the relay its batch.
      await ws.close();
      await events.close();
      await running.stop();
      await relay.stop();
      await queues.close();
      await Promise.all([prisma.$disconnect(), steps.close(), orders.close()]);
    },
  };
}

export { CloseCode };
