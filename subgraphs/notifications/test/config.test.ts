import { ConfigError } from '@shop/config';
import {
  DEV_OAUTH_CLIENT_SECRET,
  loadNotificationsConfig,
  notificationsConfigSchema,
  smsConfigured,
} from '../src/config';

function problems(env: Record<string, string>): string {
  try {
    loadNotificationsConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('notifications config', () => {
  it('has documented defaults', () => {
    const config = loadNotificationsConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      NOTIFICATIONS_PORT: 4006,
      MONGODB_URL: 'mongodb://127.0.0.1:27017',
      NOTIFICATIONS_DB_NAME: 'notifications',
      MONGODB_MAX_POOL_SIZE: 5,
      USERS_URL: 'http://127.0.0.1:4001/graphql',
      ORDERS_URL: 'http://127.0.0.1:4004/graphql',
      OAUTH_TOKEN_URL: 'http://127.0.0.1:4001/oauth/token',
      OAUTH_CLIENT_ID: 'notifications',
      OAUTH_CLIENT_SECRET: DEV_OAUTH_CLIENT_SECRET,
      QUEUE_PREFIX: 'shop',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      SMS_API_URL: 'https://api.twilio.com',
      WORKERS_ENABLED: true,
      WORKER_PORT: 4106,
    });
    expect(smsConfigured(config)).toBe(false);
  });

  it('names every bad variable', () => {
    const message = problems({
      MONGODB_URL: 'postgres://x',
      NOTIFICATIONS_PORT: 'abc',
      SMTP_URL: 'http://mail',
      MONGODB_MAX_POOL_SIZE: '50',
    });
    for (const name of ['MONGODB_URL', 'NOTIFICATIONS_PORT', 'SMTP_URL', 'MONGODB_MAX_POOL_SIZE']) {
      expect(message).toContain(name);
    }
  });

  it('needs the OAuth secret outside development, and never the dev one in production', () => {
    expect(problems({ NODE_ENV: 'test' })).toMatch(/OAUTH_CLIENT_SECRET is required/);
    expect(
      problems({ NODE_ENV: 'production', OAUTH_CLIENT_SECRET: DEV_OAUTH_CLIENT_SECRET }),
    ).toMatch(/OAUTH_CLIENT_SECRET.*development secret/);
  });

  it('takes all three SMS settings or none', () => {
    const message = problems({ SMS_ACCOUNT_SID: 'AC123' });
    expect(message).toMatch(/SMS_AUTH_TOKEN/);
    expect(message).toMatch(/SMS_FROM/);
    expect(message).not.toContain('AC123');
    const config = loadNotificationsConfig({
      SMS_ACCOUNT_SID: 'AC123',
      SMS_AUTH_TOKEN: 'secret',
      SMS_FROM: '+15005550006',
    });
    expect(smsConfigured(config)).toBe(true);
  });

  it('accepts Mailpit in docker compose', () => {
    expect(loadNotificationsConfig({ SMTP_URL: 'smtp://mailpit:1025' }).SMTP_URL).toBe(
      'smtp://mailpit:1025',
    );
  });

  it('exports its schema for the deployment checks', () => {
    expect(Object.keys(notificationsConfigSchema.shape)).toContain('SMTP_URL');
  });
});
