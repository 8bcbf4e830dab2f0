import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { Connection } from 'mongoose';
import { remoteJwks, ServiceTokenClient, TokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { Queues } from '@shop/queues';
import { SubgraphClient } from '@shop/subgraph-client';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import { SmtpMailer } from './channels/email';
import { SMS_NOT_CONFIGURED, TwilioSms, UnconfiguredSms, type SmsProvider } from './channels/sms';
import { smsConfigured, type NotificationsConfig } from './config';
import type { Context } from './context';
import { NotificationService } from './domain/notification-service';
import { startNotificationsWorker } from './jobs/notifications-worker';
import { notificationResolvers } from './resolvers/notification';
import { preferencesResolvers } from './resolvers/preferences';
import { connectMongo } from '@shop/mongo-kit';
import { NotificationStore } from './store/notification';
import { PreferencesStore } from './store/preferences';
import { OrdersDirectory, UsersDirectory } from './store/subgraphs';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface NotificationsService extends RunningSubgraph {
  /** The service's MongoDB connection (tests read messages and drop the database). */
  connection: Connection;
  notifications: NotificationStore;
}

function smsProvider(config: NotificationsConfig, logger: Logger): SmsProvider {
  if (!smsConfigured(config)) {
    logger.warn(`${SMS_NOT_CONFIGURED}: SMS notifications are recorded as FAILED`);
    return new UnconfiguredSms();
  }
  return new TwilioSms({
    apiUrl: config.SMS_API_URL,
    accountSid: config.SMS_ACCOUNT_SID,
    authToken: config.SMS_AUTH_TOKEN,
    from: config.SMS_FROM,
    timeoutMs: config.SMS_TIMEOUT_MS,
  });
}

/**
 * Wires the notifications subgraph (history and preferences) and its worker (the
 * notifications queue → e-mail over SMTP, SMS through the provider).
 */
export async function startNotificationsService(
  config: NotificationsConfig,
  logger: Logger = createLogger('notifications', config.LOG_LEVEL),
): Promise<NotificationsService> {
  const connection = await connectMongo({
    url: config.MONGODB_URL,
    dbName: config.NOTIFICATIONS_DB_NAME,
    maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
  });
  const notifications = new NotificationStore(connection);
  const preferences = new PreferencesStore(connection);

  let running: RunningSubgraph;
  try {
    await notifications.ensureIndexes();
    await preferences.ensureIndexes();
    const read = notificationResolvers(notifications);
    const prefs = preferencesResolvers(preferences);
    running = await startSubgraph<Context>(
      {
        name: 'notifications',
        typeDefs,
        resolvers: { ...read, Query: { ...read.Query, ...prefs.Query }, Mutation: prefs.Mutation },
        verifier: new TokenVerifier({
          issuer: config.JWT_ISSUER,
          audience: [config.JWT_AUDIENCE, config.SERVICE_TOKEN_AUDIENCE],
          keys: remoteJwks(config.JWKS_URL),
        }),
        logger,
        context: (base) => base,
        ready: async () => {
          if (!connection.db) throw new Error('MongoDB is not connected');
          await connection.db.admin().ping();
        },
      },
      config.NOTIFICATIONS_PORT,
    );
  } catch (error) {
    await connection.close();
    throw error;
  }

  const tokens = new ServiceTokenClient({
    tokenUrl: config.OAUTH_TOKEN_URL,
    clientId: config.OAUTH_CLIENT_ID,
    clientSecret: config.OAUTH_CLIENT_SECRET,
  });
  // A few connections each: only the notification jobs call users and orders.
  const subgraph = (name: string, url: string) =>
    new SubgraphClient({
      name,
      url,
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      tokens,
      connections: 8,
    });
  const clients = [
    subgraph('users', config.USERS_URL),
    subgraph('orders', config.ORDERS_URL),
  ] as const;
  const mailer = new SmtpMailer({
    url: config.SMTP_URL,
    from: config.MAIL_FROM,
    timeoutMs: config.SMTP_TIMEOUT_MS,
  });
  const sms = smsProvider(config, logger);
  const service = new NotificationService(
    notifications,
    preferences,
    new UsersDirectory(clients[0]),
    new OrdersDirectory(clients[1]),
    mailer,
    sms,
    logger,
    { claimLeaseMs: config.NOTIFICATION_CLAIM_LEASE_MS },
  );
  // Redis connections open only once the server is up, so a failed start leaks none.
  const queues = new Queues({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  if (config.NOTIFICATIONS_WORKER_ENABLED) {
    startNotificationsWorker(queues, service, logger, config.NOTIFICATIONS_CONCURRENCY);
  } else {
    logger.warn('NOTIFICATIONS_WORKER_ENABLED=false: this process sends nothing');
  }

  return {
    ...running,
    connection,
    notifications,
    stop: async () => {
      await running.stop();
      // Running jobs finish (and record their attempts) before the stores close.
      await queues.close();
      mailer.close();
      await Promise.all([sms.close(), ...clients.map((c) => c.close())]);
      await connection.close();
    },
  };
}
