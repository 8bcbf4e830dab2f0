import { ServiceTokenClient } from '@shop/auth';
import type { Logger } from '@shop/logging';
import { startQueueWork } from '@shop/queues';
import { SubgraphClient } from '@shop/subgraph-client';
import { startWorkerProcess, type Background, type WorkerHealth } from '@shop/subgraph-kit';
import { SmtpMailer } from '../channels/email';
import { SMS_NOT_CONFIGURED, TwilioSms, UnconfiguredSms, type SmsProvider } from '../channels/sms';
import { smsConfigured, type NotificationsConfig } from '../config';
import { NotificationService } from '../services/notification-service';
import { openNotificationStores, type NotificationStores } from '../wiring';
import { OrdersDirectory, UsersDirectory } from '../store/subgraphs';
import { startNotificationsWorker } from './notifications-worker';

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
 * The notifications queue's worker (e-mail over SMTP, SMS through the provider) and the
 * clients only it needs. The API process runs it too unless WORKERS_ENABLED=false (a
 * separate worker Deployment).
 */
export function startNotificationsJobs(
  config: NotificationsConfig,
  stores: Pick<NotificationStores, 'notifications' | 'preferences'>,
  logger: Logger,
): Background {
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
    stores.notifications,
    stores.preferences,
    new UsersDirectory(clients[0]),
    new OrdersDirectory(clients[1]),
    mailer,
    sms,
    logger,
    { claimLeaseMs: config.NOTIFICATION_CLAIM_LEASE_MS },
  );
  // No outbox: notifications only consumes events.
  const work = startQueueWork(config, null, logger, (queues) =>
    startNotificationsWorker(queues, service, logger, config.NOTIFICATIONS_CONCURRENCY),
  );
  return {
    stop: async () => {
      // Running jobs finish (and record their attempts) before the channels close.
      await work.stop();
      mailer.close();
      await Promise.all([sms.close(), ...clients.map((c) => c.close())]);
    },
  };
}

/** `npm run worker`: the queue worker alone, with /healthz and /readyz on WORKER_PORT. */
export async function startNotificationsWorkerProcess(
  config: NotificationsConfig,
  logger: Logger,
): Promise<WorkerHealth> {
  const stores = await openNotificationStores(config);
  return startWorkerProcess(
    {
      name: 'notifications-worker',
      logger,
      ready: stores.ping,
      start: () => startNotificationsJobs(config, stores, logger),
      close: () => stores.connection.close(),
    },
    config.WORKER_PORT,
  );
}
