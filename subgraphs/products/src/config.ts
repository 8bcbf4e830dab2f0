import { env, loadConfig, settings, z } from '@shop/config';

/**
 * The products service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const productsConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  PRODUCTS_PORT: env.port(4002),
  MONGODB_URL: env.mongoUrl(),
  PRODUCTS_DB_NAME: env.mongoDbName('catalog'),
  /**
   * Connections to MongoDB per process, i.e. at most this many commands in flight. Kept
   * small on purpose: FerretDB 1.x holds one of its 50 PostgreSQL connections while it
   * waits for a second one during every update, so 50 updates in flight at once (from all
   * clients together) deadlock it for good (see README, "Stock and concurrency").
   */
  MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  ...settings.tokenTrust(),
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
