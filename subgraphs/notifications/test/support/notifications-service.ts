import mongoose from 'mongoose';
import { createLogger } from '@shop/logging';
import { deleteKeys, testKeyPrefix, testMongoDatabase } from '@shop/test-harness';
import { loadNotificationsConfig, type NotificationsConfig } from '../../src/config';
import { startNotificationsService, type NotificationsService } from '../../src/server';

/** The services notifications talks to, as the platform (or a test) runs them. */
export interface NotificationsNeighbours {
  /** Whose access tokens to accept: the users service's keys. */
  jwksUrl: string;
  issuer: string;
  audience?: string;
  /** The users subgraph and its OAuth token endpoint; the client needs users:read + orders:read. */
  usersUrl: string;
  oauthTokenUrl: string;
  oauthClientId: string;
  oauthClientSecret: string;
  ordersUrl: string;
  /** smtp://host:port */
  smtpUrl: string;
  /** The BullMQ prefix the producers use; without it, one of the fixture's own. */
  queuePrefix?: string;
}

export interface NotificationsFixture {
  service: NotificationsService;
  config: NotificationsConfig;
  stop: () => Promise<void>;
}

/**
 * The notifications service (subgraph and worker) on an ephemeral port with a MongoDB
 * database and, unless given, a BullMQ prefix of its own, both removed on stop.
 */
export async function startNotificationsFixture(
  neighbours: NotificationsNeighbours,
  env: Record<string, string> = {},
): Promise<NotificationsFixture> {
  const { url, dbName } = testMongoDatabase('notifications');
  const ownPrefix = neighbours.queuePrefix ? null : testKeyPrefix('notifications');
  const config = loadNotificationsConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    NOTIFICATIONS_PORT: '0',
    MONGODB_URL: url,
    NOTIFICATIONS_DB_NAME: dbName,
    MONGODB_MAX_POOL_SIZE: '5',
    JWKS_URL: neighbours.jwksUrl,
    JWT_ISSUER: neighbours.issuer,
    JWT_AUDIENCE: neighbours.audience ?? 'shop',
    USERS_URL: neighbours.usersUrl,
    ORDERS_URL: neighbours.ordersUrl,
    OAUTH_TOKEN_URL: neighbours.oauthTokenUrl,
    OAUTH_CLIENT_ID: neighbours.oauthClientId,
    OAUTH_CLIENT_SECRET: neighbours.oauthClientSecret,
    SMTP_URL: neighbours.smtpUrl,
    MAIL_FROM: 'Shop <no-reply@shop.test>',
    SMTP_TIMEOUT_MS: '2000',
    QUEUE_PREFIX: neighbours.queuePrefix ?? ownPrefix!.replace(/:$/, ''),
    NOTIFICATIONS_CONCURRENCY: '2',
    ...env,
  });
  // TEST_LOG_LEVEL=debug shows the service's logs while a test runs.
  const logger = createLogger('notifications', process.env.TEST_LOG_LEVEL ?? 'silent');
  const service = await startNotificationsService(config, logger);
  return {
    service,
    config,
    stop: async () => {
      // Dropped after the worker has stopped, so no late write recreates the database.
      await service.stop();
      const admin = await mongoose.createConnection(url, { dbName }).asPromise();
      await admin.dropDatabase();
      await admin.close();
      if (ownPrefix) await deleteKeys(ownPrefix);
    },
  };
}
