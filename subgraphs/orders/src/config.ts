import {
  env,
  loadConfig,
  requireClientSecret,
  settings,
  withDevClientSecret,
  z,
} from '@shop/config';

/** Only for development: a fixed secret the local users service is configured with. */
export const DEV_OAUTH_CLIENT_SECRET = 'orders-dev-secret-change-me';

/**
 * The orders service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const ordersConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
    ...settings.metrics(9404),
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
    /**
     * Longest opening a PostgreSQL connection may take: a database host that is down or
     * unreachable fails requests with SERVICE_UNAVAILABLE after this, instead of holding
     * them for ever.
     */
    ORDERS_DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** Longest a checkout may take, waiting for a connection included. */
    CHECKOUT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(30_000),
    ...settings.tokenTrust(),
    /** The users subgraph itself (internal network): addresses via `_entities`. */
    USERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/graphql'),
    /** This service's OAuth client; users must grant it users:read and products:reserve. */
    ...settings.serviceClient('orders'),
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
    ...settings.queues(),
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
    ...settings.outbox(),
    ...settings.workers(4104),
  })
  .superRefine((cfg, ctx) => {
    requireClientSecret(cfg, ctx, DEV_OAUTH_CLIENT_SECRET, 'users:read + products:reserve');
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
  return withDevClientSecret(config, DEV_OAUTH_CLIENT_SECRET);
}
