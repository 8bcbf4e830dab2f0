import { CloseCode } from 'graphql-ws';
import { remoteJwks, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import {
  Closers,
  type RunningSubgraph,
  schemaBeside,
  startBackgroundWork,
  startSubgraph,
} from '@shop/subgraph-kit';
import type { DeliveryConfig } from './config';
import { createLoaders, type Context } from './context';
import { startDeliveryJobs } from './jobs/start';
import { deliveryUpdatedResolvers } from './resolvers/delivery-updated';
import { shipmentResolvers } from './resolvers/shipment';
import { carrierWebhookRoute } from './routes/carrier-webhook';
import { serveSubscriptions } from './routes/subscriptions';
import { createDeliveryServices } from './wiring';

export const typeDefs = schemaBeside(__dirname);

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
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    const services = createDeliveryServices(config, logger);
    closers.add('pub/sub, databases and orders client', services.close);
    const { prisma, shipments, orders, events, tracking } = services;
    const verifier = subgraphTokenVerifier(config, remoteJwks(config.JWKS_URL));

    const read = shipmentResolvers(tracking);
    const live = deliveryUpdatedResolvers(events, orders);
    const running = await startSubgraph<Context>(
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
    closers.add('http server', () => running.stop());

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
    // Before the HTTP server: an open WebSocket would keep it from closing.
    closers.add('subscriptions', () => ws.close());

    // The worker finishes its running jobs and the relay its batch before the database goes.
    startBackgroundWork(closers, {
      enabled: config.WORKERS_ENABLED,
      name: 'label worker',
      logger,
      start: () => startDeliveryJobs(config, services, logger),
    });

    return {
      ...running,
      wsUrl: running.url.replace(/^http/, 'ws'),
      subscriptions: () => events.stats(),
      stop: () => closers.close(),
    };
  });
}

export { CloseCode };
