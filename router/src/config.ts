import path from 'node:path';
import { env, loadConfig, settings, z } from '@shop/config';
import subgraphs from '../../schema/subgraphs.json';

/** The variable that overrides a subgraph's routing URL: `users` → `USERS_SUBGRAPH_URL`. */
export function subgraphUrlVariable(name: string): `${string}_SUBGRAPH_URL` {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SUBGRAPH_URL`;
}

const httpUrl = env.url(['http', 'https']);

// One optional override per subgraph listed in schema/subgraphs.json. The cast gives the
// shape a pattern key instead of an index signature, which would erase the other keys' types.
const subgraphUrlOverrides = Object.fromEntries(
  subgraphs.map(({ name }) => [subgraphUrlVariable(name), httpUrl.optional()]),
) as Record<`${string}_SUBGRAPH_URL`, z.ZodOptional<typeof httpUrl>>;

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** SUBSCRIPTION_FAILOVER_MS: a few seconds, long enough for a Service to route to another replica. */
export const DEFAULT_SUBSCRIPTION_FAILOVER_MS = 5_000;

/** Where the storefront and back-office dev servers run; allowed only in development. */
const DEVELOPMENT_ORIGINS = ['http://localhost:3000', 'http://localhost:5173'];

/**
 * The router's configuration: every variable, its default and its rule. Nothing else in
 * the router reads process.env.
 */
const routerSettings = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  /** 0 picks a free port (tests). */
  ROUTER_PORT: env.port(4000),
  /** The composed supergraph (`npm run compose`); loaded once at start-up. */
  SUPERGRAPH_PATH: z
    .string()
    .min(1)
    .default(path.resolve(__dirname, '../../schema/supergraph.graphql')),
  ...settings.tokenTrust(),
  /** Comma-separated browser origins allowed by CORS. Unset: the dev servers in development, none elsewhere. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ?.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .refine(
      (origins) => origins?.every(isOrigin) ?? true,
      'must list origins such as https://shop.example.com (no path, no trailing slash)',
    ),
  /** Apollo Sandbox on GET /graphql, and introspection with it. Unset: on outside production. */
  SANDBOX_ENABLED: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((value) => (value === undefined ? undefined : ['true', '1', 'yes'].includes(value))),
  /** Deepest field nesting an operation may have (fragments do not count as a level). */
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).default(12),
  /** Most aliases an operation may use (each alias is another resolver call). */
  MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  /**
   * Highest cost an operation may have: about how many fields its response can hold, each
   * list counted at its size (`first`, else QUERY_COST_LIST_SIZE). See src/cost.ts.
   */
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(3000),
  /** How many items a list field without `first` (order lines, categories) is counted as. */
  QUERY_COST_LIST_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Most lexical tokens an operation may have; bounds the parse and validation work. */
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(5000),
  /** Largest JSON request body accepted on /graphql, in bytes. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /**
   * Redis for Automatic Persisted Queries, one cache for every router replica (see
   * src/persisted-operations.ts). Unset: each replica keeps its own APQ cache in memory.
   */
  APQ_REDIS_URL: env.url(['redis', 'rediss']).optional(),
  APQ_KEY_PREFIX: env.keyPrefix('shop:apq:'),
  /** How long a registered APQ document is kept, in seconds. */
  APQ_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  /**
   * A manifest of trusted documents (GraphQL Code Generator's persisted-documents.json, or
   * Apollo's persisted query manifest). Set: only those operations run; any other is
   * refused with PERSISTED_QUERY_NOT_IN_LIST.
   */
  TRUSTED_DOCUMENTS_PATH: z.string().min(1).optional(),
  /** Longest a single subgraph call may take before the router gives up on it. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  /**
   * Which proxies may set X-Forwarded-For (Express `trust proxy`): the ingress or load
   * balancer in front of the router. Loopback only by default: trusting whole private
   * networks let any client inside them pick its own address and so dodge per-IP limits.
   * Behind an ingress, name its addresses (e.g. `10.42.0.0/16`) or its hop count (`1`).
   */
  TRUST_PROXY: z
    .string()
    .min(1)
    .default('loopback')
    // Express reads a hop count only as a number: the string "1" would be taken for an
    // address and refused. Anything else is a list of addresses, subnets or names.
    .transform((value) => (/^\d+$/.test(value.trim()) ? Number(value.trim()) : value)),
  /** GET /metrics on an internal port, never ROUTER_PORT (docs/metrics.md). */
  ...settings.metrics(9400),
  /** GraphQL subscriptions over graphql-ws on /graphql (same URL and port as HTTP). */
  SUBSCRIPTIONS_ENABLED: env.bool(true),
  /**
   * How often the router pings each WebSocket, both to clients (a client that misses a
   * pong by the next ping is dropped) and to subgraphs (an upstream that does not answer
   * within this time is dropped and its subscriptions end with an error).
   */
  SUBSCRIPTION_KEEPALIVE_MS: z.coerce.number().int().min(100).default(12_000),
  /**
   * Most bytes the router may hold unsent for one client connection. A client that reads
   * slower than its events arrive is disconnected past this, so it cannot grow the router's
   * memory without bound.
   */
  SUBSCRIPTION_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Most subscriptions one client connection may hold open at once. */
  SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(20),
  /**
   * Upstream graphql-ws sockets per subgraph, shared by every client's subscriptions (each
   * subscription carries its own client's token). More spreads them over more replicas.
   */
  SUBSCRIPTION_UPSTREAM_SOCKETS: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * How long the subscriptions of a lost upstream socket (a replica killed or redeployed)
   * may wait for a socket to another replica behind the same address before their clients
   * are told the loss (an error result, then complete). 0: told at once, no failover.
   */
  SUBSCRIPTION_FAILOVER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(DEFAULT_SUBSCRIPTION_FAILOVER_MS),
  /**
   * Events completed at once (each is one query per other subgraph it needs, with its
   * subscriber's token), so a fan-out to thousands does not storm those subgraphs.
   */
  SUBSCRIPTION_COMPLETION_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
  /**
   * Comma-separated subscription fields whose every subscription opens with a snapshot of
   * the current state (delivery's deliveryUpdated). Subscriptions of one identity share one
   * upstream subscription, so a client joining later gets a snapshot of its own.
   */
  SUBSCRIPTION_SNAPSHOT_FIELDS: z
    .string()
    .default('deliveryUpdated')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    ),
  /**
   * Bull Board over every BullMQ queue at /admin/queues, for ADMINs only
   * (docs/queue-board.md). Unset: on outside production.
   */
  QUEUE_BOARD_ENABLED: z
    // Empty is unset, as docker compose passes `${QUEUE_BOARD_ENABLED:-}`.
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((value) => (value ? ['true', '1', 'yes'].includes(value) : undefined)),
  /**
   * Signs the board's session cookies; the same on every replica. Required in production
   * when the board is on; unset (or empty) elsewhere: a random secret per process.
   */
  QUEUE_BOARD_SESSION_SECRET: z
    .string()
    .optional()
    .transform((value) => value || undefined)
    .refine((value) => value === undefined || value.length >= 32, 'must be at least 32 characters'),
  /** How long a board session lasts (never past the ADMIN token it was issued for). */
  QUEUE_BOARD_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(900).default(900),
  /** The queues the board shows: the Redis and key prefix every producer and worker uses. */
  ...settings.queues(),
  /**
   * `<NAME>_SUBGRAPH_URL`, e.g. USERS_SUBGRAPH_URL, replaces the routing URL that the
   * supergraph gives that subgraph (docker compose and Kubernetes, where hosts differ).
   */
  ...subgraphUrlOverrides,
});

/** The variables above, and the rules that tie several of them together. */
export const routerConfigSchema = routerSettings.superRefine((cfg, ctx) => {
  if (
    cfg.NODE_ENV === 'production' &&
    cfg.QUEUE_BOARD_ENABLED === true &&
    cfg.QUEUE_BOARD_SESSION_SECRET === undefined
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUEUE_BOARD_SESSION_SECRET'],
      message:
        'is required when QUEUE_BOARD_ENABLED=true in production (32+ random characters, the same on every router replica)',
    });
  }
});

export type RouterConfig = Omit<
  z.infer<typeof routerConfigSchema>,
  'CORS_ORIGINS' | 'SANDBOX_ENABLED' | 'QUEUE_BOARD_ENABLED'
> & {
  CORS_ORIGINS: string[];
  SANDBOX_ENABLED: boolean;
  QUEUE_BOARD_ENABLED: boolean;
  /** Subgraph name → routing URL that replaces the supergraph's, from `<NAME>_SUBGRAPH_URL`. */
  subgraphUrls: Record<string, string>;
};

export function loadRouterConfig(
  environment: Record<string, string | undefined> = process.env,
): RouterConfig {
  const config = loadConfig('router', routerConfigSchema, environment);
  // The overrides were validated with the rest; their names come from subgraphs.json, so
  // they are read by name rather than through the static type.
  const validated: Record<string, unknown> = config;
  const subgraphUrls: Record<string, string> = {};
  for (const { name } of subgraphs) {
    const url = validated[subgraphUrlVariable(name)];
    if (typeof url === 'string') subgraphUrls[name] = url;
  }
  return {
    ...config,
    CORS_ORIGINS:
      config.CORS_ORIGINS ?? (config.NODE_ENV === 'development' ? DEVELOPMENT_ORIGINS : []),
    SANDBOX_ENABLED: config.SANDBOX_ENABLED ?? config.NODE_ENV !== 'production',
    QUEUE_BOARD_ENABLED: config.QUEUE_BOARD_ENABLED ?? config.NODE_ENV !== 'production',
    subgraphUrls,
  };
}
