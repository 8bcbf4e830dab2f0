import { env, loadConfig, z } from '@shop/config';

/** Only for development: a fixed secret the local users service is configured with. */
export const DEV_OAUTH_CLIENT_SECRET = 'orders-dev-secret-change-me';

/**
 * The orders service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const ordersConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: env.logLevel(),
    ORDERS_PORT: env.port(4004),
    ORDERS_DATABASE_URL: env
      .url(['postgres', 'postgresql'])
      .default('postgres://postgres@127.0.0.1:5432/orders'),
    /**
     * PostgreSQL connections per process. A checkout holds one for its whole duration (the
     * transaction that claims its idempotency key), so this bounds concurrent checkouts;
     * the rest wait for a connection (up to CHECKOUT_TIMEOUT_MS).
     */
    ORDERS_DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
    /** Longest a checkout may take, waiting for a connection included. */
    CHECKOUT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(30_000),
    /** Where the access tokens' public keys are published (the users service, or any OIDC provider). */
    JWKS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/.well-known/jwks.json'),
    JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
    JWT_AUDIENCE: z.string().min(1).default('shop'),
    /** The users subgraph itself (internal network): addresses via `_entities`. */
    USERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/graphql'),
    /** The users service's OAuth 2.0 token endpoint (client-credentials grant). */
    OAUTH_TOKEN_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/oauth/token'),
    /** This service's OAuth client; it needs the users:read and products:reserve scopes. */
    OAUTH_CLIENT_ID: z.string().min(1).default('orders'),
    /** Required outside development and test; development falls back to a fixed dev secret. */
    OAUTH_CLIENT_SECRET: z.string().default(''),
    /** The products subgraph itself (internal network): prices and stock reservations. */
    PRODUCTS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4002/graphql'),
    /** The cart subgraph itself: the customer's cart is read and cleared with their token. */
    CART_URL: env.url(['http', 'https']).default('http://127.0.0.1:4003/graphql'),
    /** Longest one call to users, products or cart may take. */
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Stripe secret key (sk_...). Without it, Stripe is not configured: checkout refuses it. */
    STRIPE_SECRET_KEY: z.string().default(''),
    /** Another Stripe API base URL, e.g. http://127.0.0.1:12111 for stripe-mock. */
    STRIPE_API_URL: z
      .string()
      .default('')
      .refine((v) => v === '' || /^https?:\/\/[^/]+\/?$/.test(v), 'must be http(s)://host[:port]'),
    /** Signing secret of the Stripe webhook endpoint (whsec_...); webhooks are refused without. */
    STRIPE_WEBHOOK_SECRET: z.string().default(''),
    /** PayPal REST app credentials. Without both, PayPal is not configured: checkout refuses it. */
    PAYPAL_CLIENT_ID: z.string().default(''),
    PAYPAL_CLIENT_SECRET: z.string().default(''),
    /** Which PayPal: sandbox (api-m.sandbox.paypal.com) or live (api-m.paypal.com). */
    PAYPAL_ENVIRONMENT: z.enum(['sandbox', 'live']).default('sandbox'),
    /** Another PayPal API base URL (a PayPal-compatible server), like STRIPE_API_URL. */
    PAYPAL_API_URL: z
      .string()
      .default('')
      .refine((v) => v === '' || /^https?:\/\/[^/]+\/?$/.test(v), 'must be http(s)://host[:port]'),
    /** The storefront pages PayPal sends the customer back to after approving or giving up. */
    PAYPAL_RETURN_URL: env
      .url(['http', 'https'])
      .default('http://localhost:3000/checkout/paypal/return'),
    PAYPAL_CANCEL_URL: env
      .url(['http', 'https'])
      .default('http://localhost:3000/checkout/paypal/cancel'),
    /** Longest one PayPal API call may take. */
    PAYPAL_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60_000).default(10_000),
    /** Redis for BullMQ: the outbox relay's producers and this service's workers. */
    REDIS_URL: env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    /** BullMQ key prefix; every producer and worker of one deployment must use the same. */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,100}$/, 'must be 1-100 of [A-Za-z0-9_:.-]')
      .default('shop'),
    /** How long an unpaid order holds its stock before it is cancelled. */
    ORDER_PAYMENT_TIMEOUT_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(30),
    /**
     * Overrides ORDER_PAYMENT_TIMEOUT_MINUTES in milliseconds; for tests only (refused in
     * production), so that an expiry can be watched within a test's time.
     */
    ORDER_PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(0).optional(),
    /** Pause between two outbox polls when the last one found nothing to publish. */
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** Whether this process publishes outbox rows to BullMQ (replicas may all do it safely). */
    OUTBOX_RELAY_ENABLED: env.bool(true),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.OAUTH_CLIENT_SECRET === '' && cfg.NODE_ENV !== 'development') {
      ctx.addIssue({
        code: 'custom',
        path: ['OAUTH_CLIENT_SECRET'],
        message: `is required when NODE_ENV=${cfg.NODE_ENV} (the secret of OAuth client "${cfg.OAUTH_CLIENT_ID}" in users' OAUTH_CLIENTS)`,
      });
    }
    if (cfg.NODE_ENV === 'production' && cfg.ORDER_PAYMENT_TIMEOUT_MS !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORDER_PAYMENT_TIMEOUT_MS'],
        message: 'is for tests; use ORDER_PAYMENT_TIMEOUT_MINUTES in production',
      });
    }
    if ((cfg.PAYPAL_CLIENT_ID === '') !== (cfg.PAYPAL_CLIENT_SECRET === '')) {
      const missing = cfg.PAYPAL_CLIENT_ID === '' ? 'PAYPAL_CLIENT_ID' : 'PAYPAL_CLIENT_SECRET';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'is required when the other PayPal credential is set (set both, or neither)',
      });
    }
    if (cfg.NODE_ENV === 'production' && cfg.OAUTH_CLIENT_SECRET === DEV_OAUTH_CLIENT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['OAUTH_CLIENT_SECRET'],
        message: 'must not be the development secret in production',
      });
    }
  });

export type OrdersConfig = z.infer<typeof ordersConfigSchema>;

/** How long an unpaid order waits for its payment, in milliseconds. */
export function paymentTimeoutMs(config: OrdersConfig): number {
  return config.ORDER_PAYMENT_TIMEOUT_MS ?? config.ORDER_PAYMENT_TIMEOUT_MINUTES * 60_000;
}

export function loadOrdersConfig(
  environment: Record<string, string | undefined> = process.env,
): OrdersConfig {
  const config = loadConfig('orders', ordersConfigSchema, environment);
  // Only development gets here without a secret (the schema refuses it elsewhere).
  return { ...config, OAUTH_CLIENT_SECRET: config.OAUTH_CLIENT_SECRET || DEV_OAUTH_CLIENT_SECRET };
}
