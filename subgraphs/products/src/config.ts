import { env, loadConfig, settings, z } from '@shop/config';

/**
 * The products service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const productsConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
  ...settings.metrics(9402),
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
  /** The stock ledger (docs/adr/0006): units and reservations. The catalog stays in MongoDB. */
  PRODUCTS_DATABASE_URL: env
    .url(['postgres', 'postgresql'])
    .default('postgres://postgres@127.0.0.1:5432/products'),
  /** PostgreSQL connections per process: one per reservation in flight. */
  PRODUCTS_DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /**
   * How long units held for an order wait for the order to claim them (orders claims
   * right after writing the order) before they go back on sale. Longer than orders'
   * CHECKOUT_TIMEOUT_MS, so a slow checkout is not undercut.
   */
  STOCK_HOLD_CLAIM_MS: z.coerce.number().int().min(1000).max(3_600_000).default(45_000),
  /** How often each replica puts expired holds back on sale. */
  STOCK_HOLD_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** How often stock levels are copied to the catalog for the inStock filter of lists. */
  STOCK_MIRROR_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(1000),
  /**
   * Catalog edits (and the stock mirror) of one product take turns under a lock document:
   * FerretDB writes whole documents back (store/lock.ts). How long a lock lasts at most
   * before another request may take it over (a crashed holder blocks for no longer).
   */
  STOCK_LOCK_LEASE_MS: z.coerce.number().int().min(1000).max(300_000).default(15_000),
  /** How long a catalog edit waits for a busy product before giving up with CONFLICT. */
  STOCK_LOCK_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
});

export type ProductsConfig = z.infer<typeof productsConfigSchema>;

export function loadProductsConfig(
  environment: Record<string, string | undefined> = process.env,
): ProductsConfig {
  return loadConfig('products', productsConfigSchema, environment);
}
