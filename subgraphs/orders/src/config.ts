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
  })
  .superRefine((cfg, ctx) => {
    if (cfg.OAUTH_CLIENT_SECRET === '' && cfg.NODE_ENV !== 'development') {
      ctx.addIssue({
        code: 'custom',
        path: ['OAUTH_CLIENT_SECRET'],
        message: `is required when NODE_ENV=${cfg.NODE_ENV} (the secret of OAuth client "${cfg.OAUTH_CLIENT_ID}" in users' OAUTH_CLIENTS)`,
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

export function loadOrdersConfig(
  environment: Record<string, string | undefined> = process.env,
): OrdersConfig {
  const config = loadConfig('orders', ordersConfigSchema, environment);
  // Only development gets here without a secret (the schema refuses it elsewhere).
  return { ...config, OAUTH_CLIENT_SECRET: config.OAUTH_CLIENT_SECRET || DEV_OAUTH_CLIENT_SECRET };
}
