import { ServiceTokenClient } from '@shop/auth';
import type { Logger } from '@shop/logging';
import { SubgraphClient } from '@shop/subgraph-client';
import { paymentTimeoutMs, type OrdersConfig } from './config';
import { CheckoutService } from './services/checkout-service';
import { OrderLifecycleService } from './services/order-lifecycle';
import { PaymentEventService } from './services/payment-events';
import { PaypalCaptureService } from './services/paypal-capture';
import { PAYPAL_NOT_CONFIGURED, PaypalPayments } from './payments/paypal';
import { createStripe, STRIPE_NOT_CONFIGURED, StripePayments } from './payments/stripe';
import { OrderStore } from './store/order';
import { createOrdersDatabase } from './store/prisma';
import { CartClient, ProductsClient, UsersClient } from './store/subgraphs';

/**
 * The orders service's stores, clients and domain services, built once per process: the
 * API (src/main.ts) and the worker process (src/worker.ts) wire the same ones, so a job
 * runs exactly the code a request would.
 */
export function createOrdersServices(config: OrdersConfig, logger: Logger) {
  const database = createOrdersDatabase(
    config.ORDERS_DATABASE_URL,
    config.ORDERS_DATABASE_POOL_SIZE,
    config.ORDERS_DATABASE_CONNECT_TIMEOUT_MS,
  );
  const { prisma } = database;
  const orders = new OrderStore(prisma, database.sql);
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
  return {
    prisma,
    orders,
    webhookStripe,
    checkout,
    events: new PaymentEventService(prisma, orders, products, stripe, logger),
    lifecycle: new OrderLifecycleService(prisma, orders, products, gateways, logger),
    paypalCapture: new PaypalCaptureService(prisma, orders, products, paypal, logger),
    /** After the last request and job: the database and the subgraph connections. */
    close: async () => {
      await Promise.all([database.close(), ...Object.values(clients).map((c) => c.close())]);
    },
  };
}

export type OrdersServices = ReturnType<typeof createOrdersServices>;
