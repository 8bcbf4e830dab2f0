import type { Connection } from 'mongoose';
import { remoteJwks, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import {
  Closers,
  type RunningSubgraph,
  schemaBeside,
  startBackgroundWork,
  startSubgraph,
} from '@shop/subgraph-kit';
import type { NotificationsConfig } from './config';
import type { Context } from './context';
import { startNotificationsJobs } from './jobs/start';
import { notificationResolvers } from './resolvers/notification';
import { preferencesResolvers } from './resolvers/preferences';
import { openNotificationStores } from './wiring';
import type { NotificationStore } from './store/notification';

export const typeDefs = schemaBeside(__dirname);

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
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    const stores = await openNotificationStores(config);
    closers.add('mongodb', () => stores.connection.close());
    const { connection, notifications, preferences } = stores;

    const read = notificationResolvers(notifications);
    const prefs = preferencesResolvers(preferences);
    const running = await startSubgraph<Context>(
      {
        name: 'notifications',
        typeDefs,
        resolvers: { ...read, Query: { ...read.Query, ...prefs.Query }, Mutation: prefs.Mutation },
        verifier: subgraphTokenVerifier(config, remoteJwks(config.JWKS_URL)),
        logger,
        context: (base) => base,
        ready: stores.ping,
      },
      config.NOTIFICATIONS_PORT,
    );
    closers.add('http server', () => running.stop());

    // Running jobs finish (and record their attempts) before the stores close.
    startBackgroundWork(closers, {
      enabled: config.WORKERS_ENABLED,
      name: 'notifications worker',
      logger,
      start: () => startNotificationsJobs(config, stores, logger),
    });

    return { ...running, connection, notifications, stop: () => closers.close() };
  });
}
