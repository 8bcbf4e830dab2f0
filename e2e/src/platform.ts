import { readFileSync } from 'node:fs';
import { createLogger } from '@shop/logging';
import { deleteKeys, testKeyPrefix } from '@shop/test-harness';
import { loadRouterConfig } from '../../router/src/config';
import { startRouter, type RunningRouter } from '../../router/src/server';
import type { CartFixture } from '@shop/cart/testing';
import {
  DELIVERY_OAUTH_CLIENT,
  startDeliveryFixture,
  type DeliveryFixture,
} from '@shop/delivery/testing';
import {
  NOTIFICATIONS_CLIENT,
  startNotificationsFixture,
  startSmtpServer,
  type NotificationsFixture,
  type SmtpTestServer,
} from '@shop/notifications/testing';
import {
  startOrdersFixture,
  startOrdersNeighbours,
  type OrdersFixture,
} from '@shop/orders/testing';
import type { ProductsFixture } from '@shop/products/testing';
import type { UsersFixture } from '@shop/users/testing';

export interface Platform {
  /** The router's /graphql URL: what storefronts talk to (HTTP and graphql-ws). */
  url: string;
  users: UsersFixture;
  products: ProductsFixture;
  cart: CartFixture;
  orders: OrdersFixture;
  delivery: DeliveryFixture;
  notifications: NotificationsFixture;
  /** The SMTP server notifications delivers to: every e-mail the shop sent. */
  mailbox: SmtpTestServer;
  /** The PEM key the users service signs with, for crafting expired or mis-addressed tokens. */
  signingKeyPem: string;
  /** Starts one more router process-alike in front of the same subgraphs. */
  startRouter: (
    subgraphs?: Partial<Record<'DELIVERY_SUBGRAPH_URL', string>>,
  ) => Promise<RunningRouter>;
  stop: () => Promise<void>;
}

/** Outbox relays poll often, so a test sees a paid order become a shipment quickly. */
const FAST_RELAY = { OUTBOX_POLL_INTERVAL_MS: '50' };

/**
 * The whole graph in this process: every subgraph on an ephemeral port with stores and keys
 * of its own, the router in front, routing to them. All of them trust the tokens of this
 * platform's users service, and all share one BullMQ prefix, so an order paid in orders
 * becomes a shipment in delivery and an e-mail from notifications, as in production.
 */
export async function startPlatform(
  options: {
    /** More configuration for orders (e.g. PayPal's, pointing at a local PayPal-compatible server). */
    ordersEnv?: Record<string, string>;
  } = {},
): Promise<Platform> {
  const queuePrefix = testKeyPrefix('platform').replace(/:$/, '');
  const shared = { QUEUE_PREFIX: queuePrefix, ...FAST_RELAY };
  const notificationsClient = `${NOTIFICATIONS_CLIENT.id}:${NOTIFICATIONS_CLIENT.secret}:${NOTIFICATIONS_CLIENT.scopes.join('+')}`;
  const neighbours = await startOrdersNeighbours({
    oauthClients: [DELIVERY_OAUTH_CLIENT, notificationsClient],
    usersEnv: shared,
  });
  const { users, products, cart, trust } = neighbours;
  const oauthTokenUrl = users.service.url.replace(/\/graphql$/, '/oauth/token');
  const orders = await startOrdersFixture(neighbours.forOrders, {
    ...shared,
    ...options.ordersEnv,
  });
  const delivery = await startDeliveryFixture(
    {
      jwksUrl: trust.JWKS_URL,
      issuer: trust.JWT_ISSUER,
      audience: trust.JWT_AUDIENCE,
      ordersUrl: orders.service.url,
      oauthTokenUrl,
    },
    shared,
  );
  const mailbox = await startSmtpServer();
  const notifications = await startNotificationsFixture({
    jwksUrl: trust.JWKS_URL,
    issuer: trust.JWT_ISSUER,
    audience: trust.JWT_AUDIENCE,
    usersUrl: users.service.url,
    ordersUrl: orders.service.url,
    oauthTokenUrl,
    oauthClientId: NOTIFICATIONS_CLIENT.id,
    oauthClientSecret: NOTIFICATIONS_CLIENT.secret,
    smtpUrl: mailbox.url,
    queuePrefix,
  });

  const routers: RunningRouter[] = [];
  const launchRouter = async (overrides: Record<string, string> = {}) => {
    const router = await startRouter(
      loadRouterConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        ROUTER_PORT: '0',
        ...trust,
        USERS_SUBGRAPH_URL: users.service.url,
        PRODUCTS_SUBGRAPH_URL: products.service.url,
        CART_SUBGRAPH_URL: cart.service.url,
        ORDERS_SUBGRAPH_URL: orders.service.url,
        DELIVERY_SUBGRAPH_URL: delivery.service.url,
        NOTIFICATIONS_SUBGRAPH_URL: notifications.service.url,
        ...overrides,
      }),
      createLogger('router', process.env.TEST_LOG_LEVEL ?? 'silent'),
    );
    routers.push(router);
    return router;
  };
  const router = await launchRouter();
  return {
    url: router.url,
    users,
    products,
    cart,
    orders,
    delivery,
    notifications,
    mailbox,
    signingKeyPem: readFileSync(users.config.JWT_DEV_KEY_FILE, 'utf8'),
    startRouter: launchRouter,
    stop: async () => {
      for (const r of routers) await r.stop();
      await notifications.stop();
      await delivery.stop();
      await orders.stop();
      await neighbours.stop();
      await mailbox.stop();
      await deleteKeys(`${queuePrefix}:`);
    },
  };
}
