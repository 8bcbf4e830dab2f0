import {
  env,
  loadConfig,
  SERVICE_TOKEN_AUDIENCE,
  settings,
  USER_TOKEN_AUDIENCE,
  z,
} from '@shop/config';
import { parseOAuthClients } from './domain/oauth-clients';

/**
 * The users service's configuration: every variable, its default and its rule. Nothing
 * else in this service reads process.env.
 */
export const usersConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    /** GET /metrics on an internal port, never the API's (docs/metrics.md). */
    ...settings.metrics(9401),
    USERS_PORT: env.port(4001),
    USERS_DATABASE_URL: env
      .url(['postgres', 'postgresql'])
      .default('postgres://postgres@127.0.0.1:5432/users'),
    /** Issuer (`iss`) of the access tokens this service signs. */
    JWT_ISSUER: z.string().min(1).default('http://localhost:4001'),
    /** Audience (`aud`) of user tokens (register, login, refreshToken). */
    JWT_AUDIENCE: z.string().min(1).default(USER_TOKEN_AUDIENCE),
    /**
     * Audience of service tokens (/oauth/token). Distinct from JWT_AUDIENCE so that the
     * public router, which accepts only JWT_AUDIENCE, refuses them; subgraphs accept both.
     */
    SERVICE_TOKEN_AUDIENCE: z.string().min(1).default(SERVICE_TOKEN_AUDIENCE),
    /**
     * PEM private key(s) that sign access tokens, separated by a blank line; the first one
     * signs, all are published in the JWKS so tokens signed by a retired key stay valid
     * until they expire. Empty in development: a key is generated into JWT_DEV_KEY_FILE.
     */
    JWT_PRIVATE_KEYS: z.string().default(''),
    JWT_DEV_KEY_FILE: z.string().default('.dev-keys/users-jwt.pem'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /**
     * OAuth 2.0 client-credentials clients for service-to-service calls, as
     * `clientId:secret:scope1+scope2` entries separated by commas.
     */
    OAUTH_CLIENTS: z
      .string()
      .default('')
      .transform((value, ctx) => {
        try {
          return parseOAuthClients(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /**
     * Failed client authentications at /oauth/token allowed per client id and per IP within
     * OAUTH_FAILURE_WINDOW_SECONDS; then 429 slow_down, even for the right secret, until
     * the window ends. Successful authentications do not count.
     */
    OAUTH_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(10),
    OAUTH_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
    OAUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Redis keeps the login and client-authentication counters, shared by every replica. */
    REDIS_URL: env.redisUrl(),
    /** Prefix of this service's Redis keys (tests give each file its own). */
    REDIS_KEY_PREFIX: z.string().default('users:'),
    /** BullMQ key prefix; every producer and worker of one deployment must use the same. */
    QUEUE_PREFIX: env.keyPrefix('shop'),
    ...settings.outbox(),
    ...settings.workers(4101),
    /** Login attempts allowed per e-mail and per IP within LOGIN_WINDOW_SECONDS. */
    LOGIN_MAX_ATTEMPTS_PER_EMAIL: z.coerce.number().int().min(1).default(5),
    LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(50),
    LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Accounts that one IP may create per hour (each sign-up costs an argon2 hash). */
    REGISTRATIONS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).default(20),
    ADMIN_EMAIL: z.string().email().default('admin@shop.local'),
    ADMIN_PASSWORD: z.string().min(10).default('admin-password-change-me'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.SERVICE_TOKEN_AUDIENCE === cfg.JWT_AUDIENCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['SERVICE_TOKEN_AUDIENCE'],
        message: 'must differ from JWT_AUDIENCE, or the public router would accept service tokens',
      });
    }
    if (cfg.NODE_ENV === 'production' && cfg.JWT_PRIVATE_KEYS === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_PRIVATE_KEYS'],
        message:
          'is required in production (PEM RSA private key); dev keys are for development only',
      });
    }
    if (cfg.NODE_ENV === 'production' && cfg.ADMIN_PASSWORD === 'admin-password-change-me') {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'must be changed from the default in production',
      });
    }
  });

export type UsersConfig = z.infer<typeof usersConfigSchema>;

export function loadUsersConfig(
  environment: Record<string, string | undefined> = process.env,
): UsersConfig {
  return loadConfig('users', usersConfigSchema, environment);
}
