import { env, loadConfig, z } from '@shop/config';

/** Only for development: a fixed secret the local users service is configured with. */
export const DEV_OAUTH_CLIENT_SECRET = 'notifications-dev-secret-change-me';

/**
 * The notifications service's configuration: every variable, its default and its rule.
 * Nothing else in this service reads process.env.
 */
export const notificationsConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: env.logLevel(),
    NOTIFICATIONS_PORT: env.port(4006),
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
    NOTIFICATIONS_DB_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, "_" or "-"')
      .default('notifications'),
    /**
     * Connections to MongoDB per process. Small on purpose: FerretDB 1.x shares a few
     * PostgreSQL connections between every client, and a worker needs only a handful.
     */
    MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(10).default(5),
    /** Where the access tokens' public keys are published (the users service, or any OIDC provider). */
    JWKS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/.well-known/jwks.json'),
    JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
    JWT_AUDIENCE: z.string().min(1).default('shop'),
    /** The users subgraph itself (internal network): recipients' e-mail, name and phone. */
    USERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/graphql'),
    /** The orders subgraph itself (internal network): an order's lines for the confirmation. */
    ORDERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4004/graphql'),
    /** The users service's OAuth 2.0 token endpoint (client-credentials grant). */
    OAUTH_TOKEN_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/oauth/token'),
    /** This service's OAuth client; it needs the users:read and orders:read scopes. */
    OAUTH_CLIENT_ID: z.string().min(1).default('notifications'),
    /** Required outside development; development falls back to a fixed dev secret. */
    OAUTH_CLIENT_SECRET: z.string().default(''),
    /** Longest one call to users or orders may take. */
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Redis for BullMQ: the notifications queue this service consumes. */
    REDIS_URL: env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    /** BullMQ key prefix; every producer and worker of one deployment must use the same. */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,100}$/, 'must be 1-100 of [A-Za-z0-9_:.-]')
      .default('shop'),
    /** Notification jobs one process works on at once. */
    NOTIFICATIONS_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(5),
    /** Whether this process consumes the notifications queue (the API works without). */
    NOTIFICATIONS_WORKER_ENABLED: env.bool(true),
    /**
     * How long a claimed message belongs to the job that claimed it. A duplicate event
     * takes over a message that is still unsent only after this, so the owner's retries
     * (BullMQ backoff) never race with it. Longer than the whole retry schedule.
     */
    NOTIFICATION_CLAIM_LEASE_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .default(10 * 60_000),
    /** The SMTP server that relays e-mail, e.g. smtp://mailpit:1025 or smtps://user:pass@host:465. */
    SMTP_URL: env.url(['smtp', 'smtps']).default('smtp://127.0.0.1:1025'),
    /** The From of every e-mail: an address, or `Name <address>`. */
    MAIL_FROM: z.string().min(3).default('Shop <no-reply@shop.local>'),
    /** Longest wait for the SMTP server to connect, greet or answer. */
    SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** A Twilio-compatible Messages API; another base URL for a compatible provider or a fake. */
    SMS_API_URL: env.url(['http', 'https']).default('https://api.twilio.com'),
    /** Without SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM, SMS is not configured. */
    SMS_ACCOUNT_SID: z.string().default(''),
    SMS_AUTH_TOKEN: z.string().default(''),
    /** The sender: a phone number in E.164 (+15005550006) or an alphanumeric sender id. */
    SMS_FROM: z.string().default(''),
    SMS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
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
    const sms = [cfg.SMS_ACCOUNT_SID, cfg.SMS_AUTH_TOKEN, cfg.SMS_FROM];
    if (sms.some(Boolean) && !sms.every(Boolean)) {
      for (const name of ['SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM'] as const) {
        if (!cfg[name]) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message:
              'is needed with the other SMS_* settings (set all three, or none to go without SMS)',
          });
        }
      }
    }
  });

export type NotificationsConfig = z.infer<typeof notificationsConfigSchema>;

/** True when every SMS setting is present. */
export function smsConfigured(config: NotificationsConfig): boolean {
  return Boolean(config.SMS_ACCOUNT_SID && config.SMS_AUTH_TOKEN && config.SMS_FROM);
}

export function loadNotificationsConfig(
  environment: Record<string, string | undefined> = process.env,
): NotificationsConfig {
  const config = loadConfig('notifications', notificationsConfigSchema, environment);
  // Only development gets here without a secret (the schema refuses it elsewhere).
  return { ...config, OAUTH_CLIENT_SECRET: config.OAUTH_CLIENT_SECRET || DEV_OAUTH_CLIENT_SECRET };
}
