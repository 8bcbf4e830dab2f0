import {
  env,
  loadConfig,
  requireClientSecret,
  settings,
  withDevClientSecret,
  z,
} from '@shop/config';

/**
 * What a refused tracking event is told to wait before it is sent again (Retry-After):
 * a queue that is full drains within about a second at the rates it is sized for.
 */
export const TRACKING_RETRY_AFTER_SECONDS = 1;

/** Only for development: a fixed secret the local users service can be configured with. */
export const DEV_OAUTH_CLIENT_SECRET = 'delivery-dev-secret-change-me';

const CARRIER_SETTINGS = {
  CARRIER_API_URL:
    "the carrier's REST API base URL (labels are bought at {CARRIER_API_URL}/v1/labels)",
  CARRIER_API_KEY: 'the carrier API key (sent as a bearer token when buying labels)',
  CARRIER_WEBHOOK_SECRET:
    'the secret the carrier signs its tracking webhooks with (X-Carrier-Signature)',
} as const;

/**
 * The delivery service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const deliveryConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
    ...settings.metrics(9405),
    DELIVERY_PORT: env.port(4005),
    DELIVERY_DATABASE_URL: env
      .url(['postgres', 'postgresql'])
      .default('postgres://postgres@127.0.0.1:5432/delivery'),
    /** PostgreSQL connections per process (requests, the label worker and the outbox relay). */
    DELIVERY_DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
    /**
     * Tracking events (courier mutations, carrier webhooks) written at once, each on a
     * PostgreSQL connection of their own (besides DELIVERY_DATABASE_POOL_SIZE) for its one
     * statement of about a millisecond.
     */
    DELIVERY_TRACKING_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    /**
     * Tracking events that may wait for a write slot beyond those being written; more at
     * once are refused (SERVICE_UNAVAILABLE, retryable; the webhook answers 503).
     */
    DELIVERY_TRACKING_QUEUE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(2000),
    /**
     * Longest a tracking event waits for its turn before it is refused unwritten: well
     * below the router's subgraph timeout, so that a courier is told to retry rather than
     * left not knowing whether the event was recorded.
     */
    DELIVERY_TRACKING_QUEUE_WAIT_MS: z.coerce.number().int().min(10).max(60_000).default(5000),
    ...settings.tokenTrust(),
    /** The orders subgraph itself (internal network): who owns an order, where it goes. */
    ORDERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4004/graphql'),
    /** Longest one call to orders may take. */
    ORDERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** This service's OAuth client; users must grant it orders:read. */
    ...settings.serviceClient('delivery'),
    ...settings.queues(),
    /**
     * Prefix of the Redis pub/sub channels tracking events travel on (one channel per order,
     * `<prefix>:order:<id>`); every replica of one deployment must use the same.
     */
    PUBSUB_CHANNEL_PREFIX: env.keyPrefix('shop:delivery'),
    /** The carrier's REST API base URL; required outside development. */
    CARRIER_API_URL: z
      .string()
      .default('')
      .refine((v) => v === '' || /^https?:\/\/\S+$/.test(v), 'must be an http(s):// URL'),
    CARRIER_API_KEY: z.string().default(''),
    /** Longest one carrier API call may take; a timeout is retried like a 5xx. */
    CARRIER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    CARRIER_WEBHOOK_SECRET: z.string().default(''),
    /** Labels bought at once by one process. */
    DELIVERY_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
    ...settings.outbox(),
    ...settings.workers(4105),
    /** graphql-ws keep-alive: the server pings every client this often (ms). */
    SUBSCRIPTION_KEEPALIVE_MS: z.coerce.number().int().min(1000).max(300_000).default(12_000),
    /**
     * Events held for one subscriber that does not keep up; beyond it the oldest are
     * dropped for that subscriber only, so a slow client never holds up the others.
     */
    SUBSCRIPTION_BUFFER_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .superRefine((cfg, ctx) => {
    requireClientSecret(cfg, ctx, DEV_OAUTH_CLIENT_SECRET, 'orders:read');
    if (cfg.NODE_ENV !== 'development') {
      for (const [name, what] of Object.entries(CARRIER_SETTINGS)) {
        if (cfg[name as keyof typeof CARRIER_SETTINGS] === '') {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `is required when NODE_ENV=${cfg.NODE_ENV}: ${what}`,
          });
        }
      }
    }
  });

export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;

/**
 * What is missing for the carrier (development only: elsewhere the schema refuses to start
 * without it), one line per variable, for the start-up warning.
 */
export function missingCarrierSettings(config: DeliveryConfig): string[] {
  return Object.entries(CARRIER_SETTINGS)
    .filter(([name]) => config[name as keyof typeof CARRIER_SETTINGS] === '')
    .map(([name, what]) => `${name} (${what})`);
}

export function loadDeliveryConfig(
  environment: Record<string, string | undefined> = process.env,
): DeliveryConfig {
  const config = loadConfig('delivery', deliveryConfigSchema, environment);
  // Only development gets here without a secret (the schema refuses it elsewhere).
  return withDevClientSecret(config, DEV_OAUTH_CLIENT_SECRET);
}
