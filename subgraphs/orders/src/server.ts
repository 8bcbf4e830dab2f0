import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { remoteJwks, ServiceTokenClient, TokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import { OutboxRelay, Queues } from '@shop/queues';
import { SubgraphClient } from '@shop/subgraph-client';
import { paymentTimeoutMs, type OrdersConfig } from './config';
import { bearerTokenFrom, createLoaders, type Context } from './context';
import { CheckoutService } from './domain/checkout-service';
import { OrderLifecycleService } from './domain/order-lifecycle';
import { PaymentEventService } from './domain/payment-events';
import { PaypalCaptureService } from './domain/paypal-capture';
import { startOrdersWorker } from './jobs/orders-worker';

import { PAYPAL_NOT_CONFIGURED, PaypalPayments } from './payments/paypal';
import { createStripe, STRIPE_NOT_CONFIGURED, StripePayments } from './payments/stripe';
import { checkoutResolvers } from './resolvers/checkout';
import { orderResolvers } from './resolvers/order';
import { orderLifecycleResolvers } from './resolvers/order-lifecycle';
import { stripeWebhookRoute } from './routes/stripe-webhook';
import { OrderStore } from './store/order';
import { createPrisma } from './store/prisma';
import { CartClient, ProductsClient, UsersClient } from './store/subgraphs';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

/** Wires the orders subgraph: database, the subgraphs it calls, Stripe, resolvers, webhooks. */
export async function startOrdersService(
  config: OrdersConfig,
  logger: Logger = createLogger('orders', config.LOG_LEVEL),
): Promise<RunningSubgraph> {
  const prisma = createPrisma(
    config.ORDERS_DATABASE_URL,
    config.ORDERS_DATABASE_POOL_SIZE,
    config.ORDERS_DATABASE_CONNECT_TIMEOUT_MS,
  );
  const orders = new OrderStore(prisma);
  const serviceTokens = new ServiceTokenClient({
    tokenUrl: config.OAUTH_TOKEN_URL,
    clientId: config.OAUTH_CLIENT_ID,
    clientSecret: config.OAUTH_CLIENT_SECRET,
  });
  const subgraph = (name: string, url: string) =>
    new SubgraphClient({ name, url, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, tokens: serviceTokens });
  const clients = {
    users: subgraph('users', config.USERS_URL),
    products: subgraph('products', config.PRODUCTS_URL),
    cart: subgraph('cart', config.CART_URL),
  };
  const products = new ProductsClient(clients.products);

  if (!config.STRIPE_SECRET_KEY) {
    logger.warn(`STRIPE_SECRET_KEY is not set: ${STRIPE_NOT_CONFIGURED}`);
  }
  if (!config.STRIPE_WEBHOOK_SECRET) {
    logger.warn('STRIPE_WEBHOOK_SECRET is not set: POST /webhooks/stripe refuses every event');
  }
  const stripeOptions = { secretKey: config.STRIPE_SECRET_KEY, apiUrl: config.STRIPE_API_URL };
  const stripe = new StripePayments(config.STRIPE_SECRET_KEY ? createStripe(stripeOptions) : null);
  const paypal = new PaypalPayments({
    clientId: config.PAYPAL_CLIENT_ID,
    clientSecret: config.PAYPAL_CLIENT_SECRET,
    environment: config.PAYPAL_ENVIRONMENT,
    apiUrl: config.PAYPAL_API_URL,
    returnUrl: config.PAYPAL_RETURN_URL,
    cancelUrl: config.PAYPAL_CANCEL_URL,
    timeoutMs: config.PAYPAL_TIMEOUT_MS,
  });
  if (!paypal.configured) {
    logger.warn(`PAYPAL_CLIENT_ID / PAYPAL_CLIENT_SECRET are not set: ${PAYPAL_NOT_CONFIGURED}`);
  }
  const gateways = { [stripe.method]: stripe, [paypal.method]: paypal } as const;
  // Signature checks need no API key; the SDK only wants a non-empty one to be built.
  const webhookStripe = createStripe({
    ...stripeOptions,
    secretKey: config.STRIPE_SECRET_KEY || 'sk_unset',
  });

  const checkout = new CheckoutService(
    prisma,
    orders,
    new CartClient(clients.cart),
    new UsersClient(clients.users),
    products,
    gateways,
    { timeoutMs: config.CHECKOUT_TIMEOUT_MS, paymentTimeoutMs: paymentTimeoutMs(config) },
  );
  const events = new PaymentEventService(prisma, orders, products, stripe, logger);
  const lifecycle = new OrderLifecycleService(prisma, orders, products, gateways, logger);

  const paypalCapture = new PaypalCaptureService(prisma, orders, products, paypal, logger);

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
      verifier: new TokenVerifier({
        issuer: config.JWT_ISSUER,
        audience: [config.JWT_AUDIENCE, config.SERVICE_TOKEN_AUDIENCE],
        keys: remoteJwks(config.JWKS_URL),
      }),
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
  // Redis connections open only once the server is up, so a failed start leaks none.
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const relay = new OutboxRelay(prisma, queues, logger, {
    intervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  });
  startOrdersWorker(queues, lifecycle, logger);
  if (config.OUTBOX_RELAY_ENABLED) relay.start();
  else logger.warn('OUTBOX_RELAY_ENABLED=false: outbox rows are not published by this process');

  return {
    ...running,
    stop: async () => {
      await running.stop();
      // The relay finishes its batch and the worker its running jobs before the database goes.
      await relay.stop();
      await queues.close();
      await Promise.all([prisma.$disconnect(), ...Object.values(clients).map((c) => c.close())]);
    },
  };
}
