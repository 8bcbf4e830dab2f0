import { ServiceTokenClient } from '@shop/auth';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import type { Logger } from '@shop/logging';
import type { RunningSubgraph } from '@shop/subgraph-kit';
import {
  graphql,
  queryDatabase,
  type GraphQLResponse,
  type TestDatabase,
} from '@shop/test-harness';
import { ADD, type CartFixture } from '@shop/cart/testing';
import {
  CREATE_PRODUCT,
  newProduct,
  RESERVE,
  UPDATE_PRODUCT,
  type ProductsFixture,
} from '@shop/products/testing';
import { ADD_ADDRESS, ADMIN, LOGIN, REGISTER, type UsersFixture } from '@shop/users/testing';
import type { OrdersConfig } from '../../src/config';
import {
  ORDERS_CLIENT,
  startOrdersFixture,
  startOrdersNeighbours,
  STRIPE_MOCK_URL,
  WEBHOOK_SECRET,
} from './orders-service';
import { CHECKOUT } from './operations';
import { startStripeProxy, type StripeProxy } from './stripe-proxy';

export { ORDERS_CLIENT, WEBHOOK_SECRET, STRIPE_MOCK_URL };

export interface Customer {
  userId: string;
  token: string;
  addressId: string;
}

type Response = GraphQLResponse<Record<string, any>>;

/**
 * The real users, products and cart subgraphs (each with its own database / key prefix), a
 * counting proxy in front of stripe-mock, and the orders service with a database of its own.
 * Every service trusts the tokens of this stack's users service.
 */
export interface OrdersStack {
  orders: RunningSubgraph;
  config: OrdersConfig;
  db: TestDatabase;
  users: UsersFixture;
  products: ProductsFixture;
  cart: CartFixture;
  stripe: StripeProxy;
  adminToken: string;
  /** Sends an operation to the orders subgraph. */
  call(query: string, variables?: Record<string, unknown>, token?: string): Promise<Response>;
  /** A new customer with one address. */
  customer(): Promise<Customer>;
  createProduct(
    overrides?: Record<string, unknown>,
  ): Promise<{ id: string; sku: string; name: string }>;
  stockOf(productId: string): Promise<number>;
  /** Changes a product's catalog price (as an ADMIN would). */
  setPrice(productId: string, price: { amount: number; currency: string }): Promise<void>;
  /**
   * Whether products still holds an order's units (RESERVED), sold them (COMMITTED) or gave
   * them back (RELEASED). `lines` must be the order's lines: repeating reserveStock with the
   * same lines returns the existing reservation as it is.
   */
  reservationStatus(
    orderId: string,
    lines: { productId: string; quantity: number }[],
  ): Promise<string>;
  addToCart(customer: Customer, productId: string, quantity: number): Promise<void>;
  cartItems(customer: Customer): Promise<{ product: { id: string }; quantity: number }[]>;
  checkout(customer: Customer, input?: Record<string, unknown>): Promise<Response>;
  /** Rows of the orders database. */
  sql<T extends Record<string, any>>(query: string, params?: unknown[]): Promise<T[]>;
  /** Posts a Stripe event signed with the webhook secret (or the given header). */
  postStripeEvent(event: object, signature?: string): Promise<{ status: number; body: any }>;
  /** Posts these exact bytes to the Stripe webhook, correctly signed. */
  postStripeBody(payload: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

function ok(res: Response, what: string): Record<string, any> {
  if (res.errors) throw new Error(`${what} failed: ${JSON.stringify(res.errors)}`);
  return res.data!;
}

/**
 * `env` overrides the orders service's configuration. The stack's BullMQ keys live under a
 * prefix of its own (deleted by stop()); the outbox relay is off unless `env` turns it on,
 * so that tests which read outbox rows see them as written.
 */
export async function startOrdersStack(
  env: Record<string, string> = {},
  logger?: Logger,
  options: { productsEnv?: Record<string, string> } = {},
): Promise<OrdersStack> {
  const neighbours = await startOrdersNeighbours({ productsEnv: options.productsEnv });
  const { users, products, cart } = neighbours;
  const stripe = await startStripeProxy(STRIPE_MOCK_URL);
  const fixture = await startOrdersFixture(
    { ...neighbours.forOrders, stripeApiUrl: stripe.url },
    { OUTBOX_RELAY_ENABLED: 'false', ...env },
    logger,
  );
  const { service: orders, config, db } = fixture;

  const login = await graphql<Record<string, any>>(users.service.url, LOGIN, ADMIN);
  const adminToken = ok(login, 'admin login').login.accessToken as string;
  const signer = new Stripe('sk_test_signer');

  const stack: OrdersStack = {
    orders,
    config,
    db,
    users,
    products,
    cart,
    stripe,
    adminToken,
    call: (query, variables = {}, token) =>
      graphql<Record<string, any>>(orders.url, query, variables, { token }),
    async customer() {
      const email = `c-${randomUUID().slice(0, 12)}@shop.test`;
      const reg = await graphql<Record<string, any>>(users.service.url, REGISTER, {
        input: { email, password: 'customer-password-1', name: 'Ada Customer' },
      });
      const { accessToken, user } = ok(reg, 'register').register;
      const address = await graphql<Record<string, any>>(
        users.service.url,
        ADD_ADDRESS,
        { input: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' } },
        { token: accessToken },
      );
      return {
        userId: user.id,
        token: accessToken,
        addressId: ok(address, 'addAddress').addAddress.id,
      };
    },
    async createProduct(overrides = {}) {
      const res = await graphql<Record<string, any>>(
        products.service.url,
        CREATE_PRODUCT,
        { input: newProduct(overrides) },
        { token: adminToken },
      );
      return ok(res, 'createProduct').createProduct;
    },
    async stockOf(productId) {
      const res = await graphql<Record<string, any>>(
        products.service.url,
        `
          query ($id: ID!) {
            product(id: $id) {
              stock
            }
          }
        `,
        { id: productId },
        { token: adminToken },
      );
      return ok(res, 'product').product.stock as number;
    },
    async setPrice(productId, price) {
      const res = await graphql<Record<string, any>>(
        products.service.url,
        UPDATE_PRODUCT,
        { id: productId, input: { price } },
        { token: adminToken },
      );
      ok(res, 'updateProduct');
    },
    async reservationStatus(orderId, lines) {
      const token = await new ServiceTokenClient({
        tokenUrl: config.OAUTH_TOKEN_URL,
        clientId: config.OAUTH_CLIENT_ID,
        clientSecret: config.OAUTH_CLIENT_SECRET,
      }).token();
      const res = await graphql<Record<string, any>>(
        products.service.url,
        RESERVE,
        { orderId, lines },
        { token },
      );
      return ok(res, 'reserveStock').reserveStock.status as string;
    },
    async addToCart(customer, productId, quantity) {
      const res = await graphql<Record<string, any>>(
        cart.service.url,
        ADD,
        { productId, quantity },
        { token: customer.token },
      );
      ok(res, 'addToCart');
    },
    async cartItems(customer) {
      const res = await graphql<Record<string, any>>(
        cart.service.url,
        `
          query {
            cart {
              items {
                product {
                  id
                }
                quantity
              }
            }
          }
        `,
        {},
        { token: customer.token },
      );
      return ok(res, 'cart').cart.items;
    },
    checkout: (customer, input = {}) =>
      stack.call(
        CHECKOUT,
        {
          input: {
            paymentMethod: 'STRIPE',
            shippingAddressId: customer.addressId,
            idempotencyKey: randomUUID(),
            ...input,
          },
        },
        customer.token,
      ),
    sql: (query, params = []) => queryDatabase(db.url, query, params),
    postStripeBody: (payload) => postWebhook(payload),
    postStripeEvent: (event, signature) => postWebhook(JSON.stringify(event), signature),
    async stop() {
      await fixture.stop();
      await Promise.all([stripe.stop(), neighbours.stop()]);
    },
  };

  async function postWebhook(payload: string, signature?: string) {
    const header =
      signature ?? signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const response = await fetch(`${orders.url.replace(/\/graphql$/, '')}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }
  return stack;
}

/** A Stripe event as Stripe sends it, for a PaymentIntent. */
export function paymentIntentEvent(
  type: 'payment_intent.succeeded' | 'payment_intent.payment_failed',
  intent: { id: string; amount: number; currency: string; orderId?: string },
  eventId = `evt_${randomUUID().replace(/-/g, '')}`,
) {
  return {
    id: eventId,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: {
      object: {
        id: intent.id,
        object: 'payment_intent',
        amount: intent.amount,
        currency: intent.currency,
        status: type === 'payment_intent.succeeded' ? 'succeeded' : 'requires_payment_method',
        metadata: intent.orderId ? { orderId: intent.orderId } : {},
        last_payment_error:
          type === 'payment_intent.payment_failed' ? { message: 'Your card was declined.' } : null,
      },
    },
  };
}

export function chargeRefundedEvent(
  paymentIntentId: string,
  amount: number,
  currency: string,
  eventId = `evt_${randomUUID().replace(/-/g, '')}`,
) {
  return {
    id: eventId,
    object: 'event',
    created: Math.floor(Date.now() / 1000),
    type: 'charge.refunded',
    livemode: false,
    data: {
      object: {
        id: `ch_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
        object: 'charge',
        amount,
        amount_refunded: amount,
        currency,
        payment_intent: paymentIntentId,
        refunded: true,
      },
    },
  };
}
