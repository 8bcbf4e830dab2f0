// A customer's purchase from sign-up to a paid order, as storefront and Stripe see it:
// every call through the router, the payment on stripe-mock, the webhook signed with the
// Stripe SDK's own test-header helper.
import Stripe from 'stripe';
import { graphql } from '@shop/test-harness';
import { ADD } from '../../subgraphs/cart/test/support/operations';
import { WEBHOOK_SECRET } from '../../subgraphs/orders/test/support/orders-service';
import { CHECKOUT } from '../../subgraphs/orders/test/support/operations';
import { paymentIntentEvent } from '../../subgraphs/orders/test/support/stack';
import { CREATE_PRODUCT, newProduct } from '../../subgraphs/products/test/support/operations';
import {
  ADD_ADDRESS,
  LOGIN,
  newCustomer,
  REGISTER,
} from '../../subgraphs/users/test/support/operations';
import { ADMIN } from '../../subgraphs/users/test/support/users-service';
import { startPlatform, type Platform } from '../src/platform';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
}, 60_000);
afterAll(() => platform.stop());

const call = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  graphql<Record<string, any>>(platform.url, query, variables, { token });

function ok(res: { errors?: unknown; data?: any }) {
  expect(res.errors).toBeUndefined();
  return res.data;
}

it('register, add an address, fill the cart, check out with Stripe, webhook, PAID in myOrders', async () => {
  const admin = ok(await call(LOGIN, ADMIN)).login.accessToken;
  const lamp = ok(
    await call(
      CREATE_PRODUCT,
      {
        input: newProduct({
          name: 'Reading Lamp',
          price: { amount: 3450, currency: 'EUR' },
          stock: 5,
        }),
      },
      admin,
    ),
  ).createProduct;

  const input = newCustomer();
  const token = ok(await call(REGISTER, { input })).register.accessToken;
  const address = ok(
    await call(
      ADD_ADDRESS,
      { input: { line1: 'Main Street 1', city: 'Berlin', postalCode: '10115', country: 'DE' } },
      token,
    ),
  ).addAddress;
  ok(await call(ADD, { productId: lamp.id, quantity: 2 }, token));

  const checkout = ok(
    await call(
      CHECKOUT,
      {
        input: {
          paymentMethod: 'STRIPE',
          shippingAddressId: address.id,
          idempotencyKey: 'e2e-checkout-1',
        },
      },
      token,
    ),
  ).checkout;
  expect(checkout.order).toMatchObject({
    status: 'PENDING_PAYMENT',
    total: { amount: 6900, currency: 'EUR' },
  });
  expect(checkout.payment).toMatchObject({ provider: 'STRIPE', clientSecret: expect.any(String) });
  expect(ok(await call('{ cart { itemCount } }', {}, token)).cart.itemCount).toBe(0);

  // Stripe reports the payment to the public host; the router relays it to orders.
  const payload = JSON.stringify(
    paymentIntentEvent('payment_intent.succeeded', {
      id: checkout.payment.providerReference,
      amount: 6900,
      currency: 'eur',
      orderId: checkout.order.id,
    }),
  );
  const signature = new Stripe('sk_test_e2e').webhooks.generateTestHeaderString({
    payload,
    secret: WEBHOOK_SECRET,
  });
  const webhook = await fetch(new URL('/webhooks/stripe', platform.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  expect(webhook.status).toBe(200);

  // The order, its customer (users) and its products (products), in one query.
  const mine = ok(
    await call(
      `{ me { name orders(first: 5) { totalCount } }
         myOrders(first: 5) { edges { node { id status total { amount }
           customer { name } lines { quantity product { name stock } } } } } }`,
      {},
      token,
    ),
  );
  expect(mine.me.orders.totalCount).toBe(1);
  expect(mine.myOrders.edges).toEqual([
    {
      node: {
        id: checkout.order.id,
        status: 'PAID',
        total: { amount: 6900 },
        customer: { name: input.name },
        lines: [{ quantity: 2, product: { name: 'Reading Lamp', stock: 3 } }],
      },
    },
  ]);
});

it('answers 400 through the router for a webhook with a tampered payload', async () => {
  const payload = JSON.stringify(
    paymentIntentEvent('payment_intent.succeeded', { id: 'pi_x', amount: 1, currency: 'eur' }),
  );
  const signature = new Stripe('sk_test_e2e').webhooks.generateTestHeaderString({
    payload,
    secret: WEBHOOK_SECRET,
  });
  const response = await fetch(new URL('/webhooks/stripe', platform.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload.replace('"amount":1', '"amount":2'),
  });
  expect(response.status).toBe(400);
});
