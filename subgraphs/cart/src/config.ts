import { env, loadConfig, settings, z } from '@shop/config';
import { isCurrency } from '@shop/money';

/**
 * The cart service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const cartConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
  ...settings.metrics(9403),
  CART_PORT: env.port(4003),
  /** Carts live in Redis, one hash per cart. */
  REDIS_URL: env.redisUrl(),
  /** Prefix of this service's Redis keys (tests give each file its own). */
  REDIS_KEY_PREFIX: z.string().default('cart:'),
  /** A cart nobody has read or changed for this many days is deleted. */
  CART_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * A cart without lines (just handed out, cleared, emptied) is deleted after this many
   * minutes without activity, so ids asked for by the thousand do not fill Redis.
   */
  CART_EMPTY_TTL_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  /** The most different products (lines) one cart may hold. */
  CART_MAX_LINES: z.coerce.number().int().min(1).max(1_000).default(100),
  /** The currency an empty cart's subtotal is shown in. */
  DEFAULT_CURRENCY: z
    .string()
    .default('EUR')
    .refine(isCurrency, 'must be an upper-case ISO 4217 code such as EUR or USD'),
  /**
   * The products subgraph itself (internal network), not the router: prices and stock are
   * looked up with one `_entities` call per request.
   */
  PRODUCTS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4002/graphql'),
  /** Longest a products look-up may take before the cart operation fails. */
  PRODUCTS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  ...settings.tokenTrust(),
});

export type CartConfig = z.infer<typeof cartConfigSchema>;

export function loadCartConfig(
  environment: Record<string, string | undefined> = process.env,
): CartConfig {
  return loadConfig('cart', cartConfigSchema, environment);
}
