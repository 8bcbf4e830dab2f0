import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { Connection } from 'mongoose';
import { remoteJwks, TokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import type { NotificationsConfig } from './config';
import type { Context } from './context';
import { startNotificationsJobs } from './jobs/start';
import { notificationResolvers } from './resolvers/notification';
import { preferencesResolvers } from './resolvers/preferences';
import { openNotificationStores } from './wiring';
import type { NotificationStore } from './store/notification';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface NotificationsService extends RunningSubgraph {
  /** The service's MongoDB connection (tests read messages and drop the database). */
  connection: Connection;
  notifications: NotificationStore;
}

/**
 * Wires the notifications subgraph (history and preferences) and its worker (the
 * notifications queue → e-mail over SMTP, SMS through the provider).
 */
export async function startNotificationsService(
  config: NotificationsConfig,
  logger: Logger = createLogger('notifications', config.LOG_LEVEL),
): Promise<NotificationsService> {
  const stores = await openNotificationStores(config);
  const { connection, notifications, preferences } = stores;

  let running: RunningSubgraph;
  try {
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
        ready: stores.ping,
      },
      config.NOTIFICATIONS_PORT,
    );
  } catch (error) {
    await connection.close();
    throw error;
  }

  // Redis connections open only once the server is up, so a failed start leaks none.
  const jobs = config.WORKERS_ENABLED ? startNotificationsJobs(config, stores, logger) : null;
  if (!jobs) logger.info('WORKERS_ENABLED=false: the notifications worker runs in its own process');

  return {
    ...running,
    connection,
    notifications,
    stop: async () => {
      await running.stop();
      // Running jobs finish (and record their attempts) before the stores close.
      await jobs?.stop();
      await connection.close();
    },
  };
}
