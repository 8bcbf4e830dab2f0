import { randomUUID } from 'node:crypto';
import { graphql, testKeyPrefix, deleteKeys, waitFor } from '@shop/test-harness';
import { jobId, JobName, QueueName, Queues, type JobData } from '@shop/queues';
import { startUsersFixture, type UsersFixture } from '@shop/users/testing';
import { startNotificationsFixture, type NotificationsFixture } from './notifications-service';
import { startOrdersFake, type OrdersFake } from './orders-fake';
import { startSmsApiFake, type SmsApiFake } from './sms-fake';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './smtp';

export const NOTIFICATIONS_CLIENT = {
  id: 'notifications-service',
  secret: 'notifications-service-secret-0123',
  scopes: ['users:read', 'orders:read'],
};

/**
 * Everything notifications meets in production, for one test file: the real users service
 * (accounts, tokens, OAuth client credentials, outbox relay), a real SMTP server, Twilio's
 * Messages API and orders' `order(id)` as local fakes, BullMQ on Redis, and the
 * notifications service itself, all under one queue prefix of the file's own.
 */
export interface NotificationsStack {
  users: UsersFixture;
  smtp: SmtpTestServer;
  sms: SmsApiFake;
  orders: OrdersFake;
  notifications: NotificationsFixture;
  queues: Queues;
  /** Signs up a customer through the users service. */
  customer(input?: { name?: string; phone?: string }): Promise<Customer>;
  /** Adds a job to the notifications queue as a producer's relay would. */
  publish<N extends JobName>(name: N, data: JobData<N>, key?: string): Promise<string>;
  /** Resolves with the first e-mail to `to` matching `match` (by subject). */
  mail(to: string, match?: RegExp): Promise<ReceivedMail>;
  /** Calls the notifications subgraph with a customer's token. */
  call(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): ReturnType<typeof graphql<Record<string, any>>>;
  stop(): Promise<void>;
}

export interface Customer {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  token: string;
}

const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { id email name phone } }
}`;

let counter = 0;

export async function startNotificationsStack(
  options: { relay?: boolean; env?: Record<string, string> } = {},
): Promise<NotificationsStack> {
  const prefix = testKeyPrefix('notifications');
  const queuePrefix = prefix.replace(/:$/, '');
  const users = await startUsersFixture({
    OAUTH_CLIENTS: `${NOTIFICATIONS_CLIENT.id}:${NOTIFICATIONS_CLIENT.secret}:${NOTIFICATIONS_CLIENT.scopes.join('+')}`,
    QUEUE_PREFIX: queuePrefix,
    OUTBOX_RELAY_ENABLED: options.relay ? 'true' : 'false',
  });
  const auth = {
    jwksUrl: users.service.jwksUrl,
    issuer: users.config.JWT_ISSUER,
    audience: users.config.JWT_AUDIENCE,
  };
  const smtp = await startSmtpServer();
  const sms = await startSmsApiFake();
  const orders = await startOrdersFake(auth);
  const notifications = await startNotificationsFixture(
    {
      ...auth,
      usersUrl: users.service.url,
      oauthTokenUrl: users.service.url.replace('/graphql', '/oauth/token'),
      oauthClientId: NOTIFICATIONS_CLIENT.id,
      oauthClientSecret: NOTIFICATIONS_CLIENT.secret,
      ordersUrl: orders.url,
      smtpUrl: smtp.url,
      queuePrefix,
    },
    {
      SMS_API_URL: sms.url,
      SMS_ACCOUNT_SID: sms.accountSid,
      SMS_AUTH_TOKEN: sms.authToken,
      SMS_FROM: '+15005550006',
      ...options.env,
    },
  );
  const queues = new Queues({ redisUrl: users.config.REDIS_URL, prefix: queuePrefix });

  return {
    users,
    smtp,
    sms,
    orders,
    notifications,
    queues,
    customer: async (input = {}) => {
      counter += 1;
      const res = await graphql<Record<string, any>>(users.service.url, REGISTER, {
        input: {
          email: `customer${counter}.${randomUUID().slice(0, 8)}@shop.test`,
          password: 'correct horse battery',
          name: input.name ?? `Customer ${counter}`,
          ...(input.phone ? { phone: input.phone } : {}),
        },
      });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      const { accessToken, user } = res.data!.register;
      return { ...user, token: accessToken };
    },
    publish: async (name, data, key = randomUUID()) => {
      const id = jobId(name, key);
      await queues.queue(QueueName.NOTIFICATIONS).add(name, data, { jobId: id });
      return id;
    },
    mail: (to, match) =>
      waitFor(
        () => smtp.received.find((m) => m.to.includes(to) && (!match || match.test(m.subject))),
        { timeoutMs: 20_000, what: `an e-mail to ${to}${match ? ` matching ${match}` : ''}` },
      ),
    call: (query, variables = {}, token) =>
      graphql<Record<string, any>>(notifications.service.url, query, variables, { token }),
    stop: async () => {
      await queues.close();
      await notifications.stop();
      await Promise.all([users.stop(), smtp.stop(), sms.stop(), orders.stop()]);
      await deleteKeys(prefix);
    },
  };
}
