import {
  env,
  loadConfig,
  requireClientSecret,
  settings,
  withDevClientSecret,
  z,
} from '@shop/config';

/** Only for development: a fixed secret the local users service is configured with. */
export const DEV_OAUTH_CLIENT_SECRET = 'notifications-dev-secret-change-me';

/**
 * The notifications service's configuration: every variable, its default and its rule.
 * Nothing else in this service reads process.env.
 */
export const notificationsConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
    ...settings.metrics(9406),
    NOTIFICATIONS_PORT: env.port(4006),
    MONGODB_URL: env.mongoUrl(),
    NOTIFICATIONS_DB_NAME: env.mongoDbName('notifications'),
    /**
     * Connections to MongoDB per process. Small on purpose: FerretDB 1.x shares a few
     * PostgreSQL connections between every client, and a worker needs only a handful.
     */
    MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(10).default(5),
    ...settings.tokenTrust(),
    /** The users subgraph itself (internal network): recipients' e-mail, name and phone. */
    USERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4001/graphql'),
    /** The orders subgraph itself (internal network): an order's lines for the confirmation. */
    ORDERS_URL: env.url(['http', 'https']).default('http://127.0.0.1:4004/graphql'),
    /** This service's OAuth client; users must grant it users:read and orders:read. */
    ...settings.serviceClient('notifications'),
    /** Longest one call to users or orders may take. */
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    ...settings.queues(),
    /** Notification jobs one process works on at once. */
    NOTIFICATIONS_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(5),
    /** Whether the API process also consumes the notifications queue (it works without). */
    ...settings.workers(4106),
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
    requireClientSecret(cfg, ctx, DEV_OAUTH_CLIENT_SECRET, 'users:read + orders:read');
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
  return withDevClientSecret(config, DEV_OAUTH_CLIENT_SECRET);
}
