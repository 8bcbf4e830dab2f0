import { z } from 'zod';

export { z };

/** Raised at start-up when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `${service}: invalid configuration\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these environment variables (see .env.example) and start again.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads a service's configuration once, from the given environment, through a zod schema
 * whose keys are the environment variable names. Every problem is reported at once and
 * names the variable, so a broken deployment says exactly what to fix.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = env[name];
      return value === undefined || value === ''
        ? `${name} is required: ${issue.message}`
        : `${name}=${JSON.stringify(redact(name, value))} is invalid: ${issue.message}`;
    }),
  );
}

function redact(name: string, value: string): string {
  return /SECRET|PASSWORD|KEY|TOKEN/i.test(name) ? '***' : value;
}

/** Default audience of user access tokens (JWT_AUDIENCE). */
export const USER_TOKEN_AUDIENCE = 'shop';
/**
 * Default audience of service tokens (SERVICE_TOKEN_AUDIENCE): the user audience with a
 * suffix, so it can never be mistaken for it.
 */
export const SERVICE_TOKEN_AUDIENCE = `${USER_TOKEN_AUDIENCE}-services`;

/** Helpers for the shapes that every service's config uses. */
export const env = {
  // 0 asks the OS for a free port (tests, benchmarks).
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (protocols: string[]) =>
    z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    ),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: () =>
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  nodeEnv: () => z.enum(['development', 'test', 'production']).default('development'),
  redisUrl: () => env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  /** A key prefix (BullMQ, pub/sub): every process of one deployment must use the same. */
  keyPrefix: (fallback: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,100}$/, 'must be 1-100 of [A-Za-z0-9_:.-]')
      .default(fallback),
  /**
   * A MongoDB connection string. Checked by scheme only: a replica set's seed list
   * (mongodb://a:27017,b:27017/?replicaSet=rs) is not a WHATWG URL.
   */
  mongoUrl: () =>
    z
      .string()
      .regex(
        /^mongodb(\+srv)?:\/\/\S+$/,
        'must be a connection string starting with mongodb:// or mongodb+srv://',
      )
      .default('mongodb://127.0.0.1:27017'),
  mongoDbName: (fallback: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, "_" or "-"')
      .default(fallback),
};

/**
 * Groups of variables that several services share, spread into a service's z.object so that
 * each variable has one definition: name, default and rule.
 */
export const settings = {
  /** Whose access tokens to accept: the users service's keys, or any OIDC provider's. */
  tokenTrust: () => ({
    /** Where the access tokens' public keys are published. */
    JWKS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/.well-known/jwks.json'),
    JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
    /** The audience (`aud`) of user tokens: the only one the public router accepts. */
    JWT_AUDIENCE: z.string().min(1).default(USER_TOKEN_AUDIENCE),
    /**
     * The audience of service (client-credentials) tokens. Subgraphs accept it besides
     * JWT_AUDIENCE; the router ignores it, so a service token is no key to the public API.
     */
    SERVICE_TOKEN_AUDIENCE: z.string().min(1).default(SERVICE_TOKEN_AUDIENCE),
  }),
  /**
   * The service's own OAuth 2.0 client (client-credentials grant at users' token endpoint).
   * The secret is required outside development (see requireClientSecret).
   */
  serviceClient: (clientId: string) => ({
    OAUTH_TOKEN_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/oauth/token'),
    OAUTH_CLIENT_ID: z.string().min(1).default(clientId),
    OAUTH_CLIENT_SECRET: z.string().default(''),
  }),
  /** BullMQ on Redis: the queues every producer and worker of one deployment shares. */
  queues: () => ({
    REDIS_URL: env.redisUrl(),
    QUEUE_PREFIX: env.keyPrefix('shop'),
  }),
  /** The transactional outbox's relay (see @shop/queues, OutboxRelay). */
  outbox: () => ({
    /** Pause between two outbox polls when the last one found nothing to publish. */
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** Whether this process publishes outbox rows to BullMQ (replicas may all do it safely). */
    OUTBOX_RELAY_ENABLED: env.bool(true),
  }),
  /**
   * Prometheus metrics (@shop/metrics, docs/metrics.md): GET /metrics on a port of its own,
   * never the service's public one, so no ingress or router route can publish it. Worker
   * processes read the same variables (in Kubernetes each runs in its own pod).
   */
  metrics: (port: number) => ({
    /** Whether the process counts and serves its metrics at all. */
    METRICS_ENABLED: env.bool(true),
    /** The internal port of GET /metrics (0: a free port, logged at start-up). */
    METRICS_PORT: env.port(port),
  }),
  /**
   * Where this service's background work (queue workers, outbox relay) runs. Inside the API
   * process by default (one process to start locally); a worker Deployment runs the same
   * image with `npm run worker` and its API pods with WORKERS_ENABLED=false, so that jobs
   * and requests scale apart.
   */
  workers: (healthPort: number) => ({
    /** Whether the API process also runs the workers and the outbox relay. */
    WORKERS_ENABLED: env.bool(true),
    /** The worker process's /healthz and /readyz (it serves nothing else). */
    WORKER_PORT: env.port(healthPort),
  }),
};

interface ClientSecretConfig {
  NODE_ENV: string;
  OAUTH_CLIENT_ID: string;
  OAUTH_CLIENT_SECRET: string;
}

/**
 * For a schema's superRefine: the OAuth client secret is required outside development, and
 * the development secret (what a local run falls back to) is refused in production.
 * `scopes` names what users must grant the client, for the message.
 */
export function requireClientSecret(
  cfg: ClientSecretConfig,
  ctx: z.RefinementCtx,
  devSecret: string,
  scopes: string,
): void {
  if (cfg.OAUTH_CLIENT_SECRET === '' && cfg.NODE_ENV !== 'development') {
    ctx.addIssue({
      code: 'custom',
      path: ['OAUTH_CLIENT_SECRET'],
      message: `is required when NODE_ENV=${cfg.NODE_ENV} (the secret of OAuth client "${cfg.OAUTH_CLIENT_ID}" in users' OAUTH_CLIENTS, granted ${scopes})`,
    });
  }
  if (cfg.NODE_ENV === 'production' && cfg.OAUTH_CLIENT_SECRET === devSecret) {
    ctx.addIssue({
      code: 'custom',
      path: ['OAUTH_CLIENT_SECRET'],
      message: 'must not be the development secret in production',
    });
  }
}

/** After loadConfig: only development gets here without a secret; it uses the dev secret. */
export function withDevClientSecret<C extends ClientSecretConfig>(config: C, devSecret: string): C {
  return { ...config, OAUTH_CLIENT_SECRET: config.OAUTH_CLIENT_SECRET || devSecret };
}
