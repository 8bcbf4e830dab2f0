import { readFileSync } from 'node:fs';
import { createLogger } from '@shop/logging';
import { loadRouterConfig } from '../../router/src/config';
import { startRouter } from '../../router/src/server';
import type { CartFixture } from '../../subgraphs/cart/test/support/cart-service';
import {
  startOrdersFixture,
  startOrdersNeighbours,
  type OrdersFixture,
} from '../../subgraphs/orders/test/support/orders-service';
import type { ProductsFixture } from '../../subgraphs/products/test/support/products-service';
import type { UsersFixture } from '../../subgraphs/users/test/support/users-service';

export interface Platform {
  /** The router's /graphql URL: what storefronts talk to. */
  url: string;
  users: UsersFixture;
  products: ProductsFixture;
  cart: CartFixture;
  orders: OrdersFixture;
  /** The PEM key the users service signs with, for crafting expired or mis-addressed tokens. */
  signingKeyPem: string;
  stop: () => Promise<void>;
}

/**
 * The whole graph in this process: every subgraph on an ephemeral port with databases and
 * keys of its own, and the router in front, routing to them. All of them trust the tokens
 * of this platform's users service.
 */
export async function startPlatform(): Promise<Platform> {
  const neighbours = await startOrdersNeighbours();
  const { users, products, cart, trust } = neighbours;
  const orders = await startOrdersFixture(neighbours.forOrders);
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
    }),
    createLogger('router', 'silent'),
  );
  return {
    url: router.url,
    users,
    products,
    cart,
    orders,
    signingKeyPem: readFileSync(users.config.JWT_DEV_KEY_FILE, 'utf8'),
    stop: async () => {
      await router.stop();
      await orders.stop();
      await neighbours.stop();
    },
  };
}
