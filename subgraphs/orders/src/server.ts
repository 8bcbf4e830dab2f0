import { remoteJwks, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import {
  Closers,
  type RunningSubgraph,
  schemaBeside,
  startBackgroundWork,
  startSubgraph,
} from '@shop/subgraph-kit';
import type { OrdersConfig } from './config';
import { bearerTokenFrom, createLoaders, type Context } from './context';
import { startOrdersJobs } from './jobs/start';
import { checkoutResolvers } from './resolvers/checkout';
import { orderResolvers } from './resolvers/order';
import { orderLifecycleResolvers } from './resolvers/order-lifecycle';
import { stripeWebhookRoute } from './routes/stripe-webhook';
import { createOrdersServices } from './wiring';

export const typeDefs = schemaBeside(__dirname);

/** Wires the orders subgraph: database, the subgraphs it calls, Stripe, resolvers, webhooks. */
export async function startOrdersService(
  config: OrdersConfig,
  logger: Logger = createLogger('orders', config.LOG_LEVEL),
): Promise<RunningSubgraph> {
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    const services = createOrdersServices(config, logger);
    closers.add('database and subgraph clients', services.close);
    const { prisma, orders, webhookStripe, checkout, events, lifecycle, paypalCapture } = services;
    if (!config.STRIPE_WEBHOOK_SECRET) {
      logger.warn('STRIPE_WEBHOOK_SECRET is not set: POST /webhooks/stripe refuses every event');
    }

    const read = orderResolvers(orders);
    const mutations = {
      ...checkoutResolvers(checkout).Mutation,
      ...orderLifecycleResolvers(lifecycle, paypalCapture).Mutation,
    };
    const running = await startSubgraph<Context>(
      {
        name: 'orders',
        typeDefs,
        resolvers: { ...read, Mutation: mutations },
        verifier: subgraphTokenVerifier(config, remoteJwks(config.JWKS_URL)),
        logger,
        context: (base, request) => ({
          ...base,
          loaders: createLoaders(orders),
          bearerToken: bearerTokenFrom(request.headers.authorization),
        }),
        routes: (app) =>
          stripeWebhookRoute(app, webhookStripe, config.STRIPE_WEBHOOK_SECRET, events, logger),
        ready: async () => {
          await prisma.$queryRaw`SELECT 1`;
        },
      },
      config.ORDERS_PORT,
    );
    closers.add('http server', () => running.stop());

    // The relay finishes its batch and the worker its running jobs before the database goes.
    startBackgroundWork(closers, {
      enabled: config.WORKERS_ENABLED,
      name: 'orders worker',
      logger,
      start: () => startOrdersJobs(config, services, logger),
    });

    return { ...running, stop: () => closers.close() };
  });
}
