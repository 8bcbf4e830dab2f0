import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type GraphQLFormattedError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { remoteJwks, ServiceTokenClient, TokenVerifier, type Identity } from '@shop/auth';
import { formatError } from '@shop/errors';
import { createLogger, type Logger } from '@shop/logging';
import { OutboxRelay, Queues } from '@shop/queues';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import { HttpCarrierClient, UnconfiguredCarrier, type CarrierClient } from './carrier/carrier';
import { missingCarrierSettings, type DeliveryConfig } from './config';
import { createLoaders, type Context } from './context';
import { TrackingService } from './domain/tracking-service';
import { DeliveryEvents } from './events/delivery-events';
import { startDeliveryWorker } from './jobs/delivery-worker';
import { deliveryUpdatedResolvers } from './resolvers/delivery-updated';
import { shipmentResolvers } from './resolvers/shipment';
import { carrierWebhookRoute } from './routes/carrier-webhook';
import { OrdersClient } from './store/orders';
import { createPrisma } from './store/prisma';
import { ShipmentStore } from './store/shipment';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

/** Largest graphql-ws message accepted: subscribe messages are small. */
const MAX_WS_MESSAGE_BYTES = 64 * 1024;

export interface DeliveryService extends RunningSubgraph {
  /** ws://…/graphql: graphql-ws on the same server and path as HTTP queries. */
  wsUrl: string;
  /** Local subscribers and the Redis channels this replica listens on. */
  subscriptions: () => { subscribers: number; channels: number };
}

/** What graphql-ws keeps per connection: the identity verified at connection_init. */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  identity: Identity | null;
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
    config.ORDERS_URL,
    new ServiceTokenClient({
      tokenUrl: config.OAUTH_TOKEN_URL,
      clientId: config.OAUTH_CLIENT_ID,
      clientSecret: config.OAUTH_CLIENT_SECRET,
    }),
    config.ORDERS_TIMEOUT_MS,
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
  const tracking = new TrackingService(prisma, shipments, events, logger);
  const verifier = new TokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
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
    await prisma.$disconnect();
    throw error;
  }

  // graphql-ws on the same HTTP server and path as queries. The token travels in the
  // connection_init payload; a bad one closes the socket with 4403, none lets the socket
  // open and deliveryUpdated answers UNAUTHENTICATED (see README.md).
  const wss = new WebSocketServer({
    server: running.httpServer,
    path: '/graphql',
    maxPayload: MAX_WS_MESSAGE_BYTES,
  });
  const format = (error: GraphQLFormattedError, original: unknown): GraphQLFormattedError =>
    formatError(error, original, (err) =>
      logger.error({ err }, 'unexpected error in subscription'),
    );
  const ws = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: running.schema,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        if (header !== undefined && typeof header !== 'string') return false;
        try {
          ctx.extra.identity = await verifier.fromAuthorizationHeader(header);
          return true;
        } catch {
          return false; // graphql-ws closes with CloseCode.Forbidden (4403)
        }
      },
      context: (ctx): Context => {
        const requestId = randomUUID();
        return {
          identity: ctx.extra.identity ?? null,
          requestId,
          log: logger.child({ requestId }),
          clientIp: ctx.extra.request.socket.remoteAddress ?? 'unknown',
          loaders: createLoaders(shipments, { cache: false }),
        };
      },
      // Errors reach the client as the HTTP path shows them: the shop's own codes, the rest
      // masked as INTERNAL_SERVER_ERROR and logged.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length
          ? {
              ...result,
              errors: result.errors.map((e) => format(e.toJSON(), e.originalError ?? e)),
            }
          : undefined,
    },
    wss,
    config.SUBSCRIPTION_KEEPALIVE_MS,
  );

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
      await ws.dispose();
      for (const client of wss.clients) client.terminate();
      await events.close();
      await running.stop();
      await relay.stop();
      await queues.close();
      await prisma.$disconnect();
    },
  };
}

export { CloseCode };
