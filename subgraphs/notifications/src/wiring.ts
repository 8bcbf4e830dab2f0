import { connectMongo } from '@shop/mongo-kit';
import type { NotificationsConfig } from './config';
import { NotificationStore } from './store/notification';
import { PreferencesStore } from './store/preferences';

/**
 * The notifications service's MongoDB connection and stores, their indexes created: the API
 * (src/main.ts) and the worker process (src/worker.ts) open the same ones.
 */
export async function openNotificationStores(config: NotificationsConfig) {
  const connection = await connectMongo({
    url: config.MONGODB_URL,
    dbName: config.NOTIFICATIONS_DB_NAME,
    maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
  });
  const notifications = new NotificationStore(connection);
  const preferences = new PreferencesStore(connection);
  try {
    await notifications.ensureIndexes();
    await preferences.ensureIndexes();
  } catch (error) {
    await connection.close();
    throw error;
  }
  return {
    connection,
    notifications,
    preferences,
    /** Throws unless MongoDB answers: backs /readyz. */
    ping: async () => {
      if (!connection.db) throw new Error('MongoDB is not connected');
      await connection.db.admin().ping();
    },
  };
}

export type NotificationStores = Awaited<ReturnType<typeof openNotificationStores>>;
