import { createLogger, type Logger } from '@shop/logging';
import type { RunningSubgraph } from '@shop/subgraph-kit';
import {
  createTestDatabase,
  deleteKeys,
  TEST_REDIS_URL,
  testKeyPrefix,
  type TestDatabase,
} from '@shop/test-harness';
import { startCartFixture, type CartFixture } from '@shop/cart/testing';
import { startProductsFixture, type ProductsFixture } from '@shop/products/testing';
import { startUsersFixture, type UsersFixture } from '@shop/users/testing';
import { loadOrdersConfig, type OrdersConfig } from '../../src/config';
import { startOrdersService } from '../../src/server';

/** The OAuth client the orders service signs in with; give it to the users fixture. */
export const ORDERS_CLIENT = { id: 'orders', secret: 'orders-test-secret-0123456789' };
export const ORDERS_OAUTH_CLIENTS = `${ORDERS_CLIENT.id}:${ORDERS_CLIENT.secret}:users:read+products:reserve`;
/**
 * A service client holding orders:read, as delivery and notifications are given in a real
 * deployment (their own ids there); tests use it to read orders with a service token.
 */
export const ORDER_READER_CLIENT = {
  id: 'order-reader',
  secret: 'order-reader-test-secret-0123456789',
  scopes: ['orders:read', 'users:read'],
};
export const WEBHOOK_SECRET = 'whsec_orders_test_secret';
export const STRIPE_MOCK_URL = process.env.TEST_STRIPE_MOCK_URL ?? 'http://127.0.0.1:12111';

export interface OrdersFixture {
  service: RunningSubgraph;
  config: OrdersConfig;
  db: TestDatabase;
  stop: () => Promise<void>;
}

/** Where the orders service finds the services it calls, and whose tokens it trusts. */
export interface OrdersNeighbours {
  jwksUrl: string;
  issuer: string;
  audience: string;
  usersUrl: string;
  productsUrl: string;
  cartUrl: string;
  stripeApiUrl?: string;
}

/** The neighbours a running orders service was configured with, for a second process. */
export function neighboursOf(config: OrdersConfig, stripeApiUrl?: string): OrdersNeighbours {
  return {
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    usersUrl: config.USERS_URL,
    productsUrl: config.PRODUCTS_URL,
    cartUrl: config.CART_URL,
    stripeApiUrl: stripeApiUrl ?? config.STRIPE_API_URL,
  };
}

/**
 * The orders service on an ephemeral port with a database of its own, signing in to the
 * given users service as ORDERS_CLIENT and paying through stripe-mock (or a proxy of it).
 */
export async function startOrdersFixture(
  neighbours: OrdersNeighbours,
  env: Record<string, string> = {},
  logger: Logger = createLogger('orders', process.env.TEST_LOG_LEVEL ?? 'silent'),
): Promise<OrdersFixture> {
  const db = await createTestDatabase('orders');
  // BullMQ keys of its own (deleted by stop()) unless the caller shares a prefix with the
  // delivery and notifications workers; BullMQ adds the ':' after the prefix itself.
  const ownPrefix = env.QUEUE_PREFIX ? null : testKeyPrefix('orders').replace(/:$/, '');
  const config = loadOrdersConfig({
    ...ordersEnvironment(neighbours, db.url),
    ...(ownPrefix ? { QUEUE_PREFIX: ownPrefix } : {}),
    ...env,
  });
  // TEST_LOG_LEVEL=debug shows the service's logs while a test runs.
  const service = await startOrdersService(config, logger).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  return {
    service,
    config,
    db,
    stop: async () => {
      await service.stop();
      await Promise.all([db.drop(), ownPrefix ? deleteKeys(`${ownPrefix}:`) : undefined]);
    },
  };
}

/**
 * The environment of an orders service among `neighbours`, on an ephemeral port (0), for
 * the in-process fixture and for orders run as a process of its own.
 */
export function ordersEnvironment(
  neighbours: OrdersNeighbours,
  databaseUrl: string,
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ORDERS_PORT: '0',
    ORDERS_DATABASE_URL: databaseUrl,
    JWKS_URL: neighbours.jwksUrl,
    JWT_ISSUER: neighbours.issuer,
    JWT_AUDIENCE: neighbours.audience,
    USERS_URL: neighbours.usersUrl,
    OAUTH_TOKEN_URL: neighbours.usersUrl.replace(/\/graphql$/, '/oauth/token'),
    OAUTH_CLIENT_ID: ORDERS_CLIENT.id,
    OAUTH_CLIENT_SECRET: ORDERS_CLIENT.secret,
    PRODUCTS_URL: neighbours.productsUrl,
    CART_URL: neighbours.cartUrl,
    STRIPE_SECRET_KEY: 'sk_test_orders',
    STRIPE_API_URL: neighbours.stripeApiUrl ?? STRIPE_MOCK_URL,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    REDIS_URL: TEST_REDIS_URL,
  };
}

export interface Neighbours {
  users: UsersFixture;
  products: ProductsFixture;
  cart: CartFixture;
  /** JWKS_URL, JWT_ISSUER and JWT_AUDIENCE of the users service, for any service's config. */
  trust: Record<'JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE', string>;
  /** What startOrdersFixture needs to reach them (Stripe: stripe-mock unless overridden). */
  forOrders: OrdersNeighbours;
  stop: () => Promise<void>;
}

/**
 * The subgraphs orders calls — users (with the orders OAuth client), products and cart —
 * each with stores of its own, all trusting the users service's tokens.
 */
export async function startOrdersNeighbours(
  options: {
    /** More `id:secret:scope+scope` OAuth clients for users to accept (delivery, notifications). */
    oauthClients?: readonly string[];
    /** Overrides of the users service's configuration (e.g. a shared QUEUE_PREFIX). */
    usersEnv?: Record<string, string>;
    /** Overrides of the products service's configuration (e.g. a short hold claim window). */
    productsEnv?: Record<string, string>;
  } = {},
): Promise<Neighbours> {
  const reader = `${ORDER_READER_CLIENT.id}:${ORDER_READER_CLIENT.secret}:${ORDER_READER_CLIENT.scopes.join('+')}`;
  const users = await startUsersFixture({
    OAUTH_CLIENTS: [ORDERS_OAUTH_CLIENTS, reader, ...(options.oauthClients ?? [])].join(','),
    ...options.usersEnv,
  });
  const trust = {
    JWKS_URL: users.service.jwksUrl,
    JWT_ISSUER: users.config.JWT_ISSUER,
    JWT_AUDIENCE: users.config.JWT_AUDIENCE,
  };
  const products = await startProductsFixture({
    jwksUrl: trust.JWKS_URL,
    issuer: trust.JWT_ISSUER,
    audience: trust.JWT_AUDIENCE,
    env: options.productsEnv,
  });
  const cart = await startCartFixture({ ...trust, PRODUCTS_URL: products.service.url });
  return {
    users,
    products,
    cart,
    trust,
    forOrders: {
      jwksUrl: trust.JWKS_URL,
      issuer: trust.JWT_ISSUER,
      audience: trust.JWT_AUDIENCE,
      usersUrl: users.service.url,
      productsUrl: products.service.url,
      cartUrl: cart.service.url,
    },
    stop: async () => {
      await cart.stop();
      await products.stop();
      await users.stop();
    },
  };
}
