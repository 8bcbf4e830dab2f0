import { env, loadConfig, z } from '@shop/config';

/**
 * The products service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const productsConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: env.logLevel(),
  PRODUCTS_PORT: env.port(4002),
  /**
   * A MongoDB connection string. Checked by scheme only: a replica set's seed list
   * (mongodb://a:27017,b:27017/?replicaSet=rs) is not a WHATWG URL.
   */
  MONGODB_URL: z
    .string()
    .regex(
      /^mongodb(\+srv)?:\/\/\S+$/,
      'must be a connection string starting with mongodb:// or mongodb+srv://',
    )
    .default('mongodb://127.0.0.1:27017'),
  PRODUCTS_DB_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, "_" or "-"')
    .default('catalog'),
  /**
   * Connections to MongoDB per process, i.e. at most this many commands in flight. Kept
   * small on purpose: FerretDB 1.x holds one of its 50 PostgreSQL connections while it
   * waits for a second one during every update, so 50 updates in flight at once (from all
   * clients together) deadlock it for good (see README, "Stock and concurrency").
   */
  MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** Where the access tokens' signing keys are published (the users service, or any OIDC provider). */
  JWKS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
  JWT_AUDIENCE: z.string().min(1).default('shop'),
  /**
   * How long a stock lock is held at most before another request may take it over (a
   * crashed holder blocks a product for no longer than this). Must be far longer than a
   * reservation takes (milliseconds).
   */
  STOCK_LOCK_LEASE_MS: z.coerce.number().int().min(1000).max(300_000).default(15_000),
  /** How long a request waits for a busy product before giving up with CONFLICT. */
  STOCK_LOCK_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
});

export type ProductsConfig = z.infer<typeof productsConfigSchema>;

export function loadProductsConfig(
  environment: Record<string, string | undefined> = process.env,
): ProductsConfig {
  return loadConfig('products', productsConfigSchema, environment);
}
