// A customer's purchase from sign-up to a paid order, as storefront and Stripe see it:
// every call through the router, the payment on stripe-mock, the webhook signed with the
// Stripe SDK's own test-header helper.
import Stripe from 'stripe';
import { fixtureForFile, graphql } from '@shop/test-harness';
import { paymentIntentEvent, WEBHOOK_SECRET } from '@shop/orders/testing';
import { startPlatform } from '../src/platform';
import { Shop } from '../src/shop';

const platform = fixtureForFile(() => startPlatform());

const call = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  graphql<Record<string, any>>(platform.url, query, variables, { token });

function ok(res: { errors?: unknown; data?: any }) {
  expect(res.errors).toBeUndefined();
  return res.data;
}

it('register, add an address, fill the cart, check out with Stripe, webhook, PAID in myOrders', async () => {
  const shop = new Shop(platform.url);
  const lamp = await shop.createProduct({
    name: 'Reading Lamp',
    price: { amount: 3450, currency: 'EUR' },
    stock: 5,
  });
  const customer = await shop.shopper();
  await shop.addToCart(customer, lamp.id, 2);

  const checkout = await shop.checkout(customer);
  expect(checkout).toMatchObject({
    status: 'PENDING_PAYMENT',
    total: { amount: 6900, currency: 'EUR' },
    provider: 'STRIPE',
    clientSecret: expect.any(String),
  });
  expect(ok(await call('{ cart { itemCount } }', {}, customer.token)).cart.itemCount).toBe(0);

  // Stripe reports the payment to the public host; the router relays it to orders.
  await shop.stripePaid(checkout);

  // The order, its customer (users) and its products (products), in one query.
  const mine = ok(
    await call(
      `{ me { name orders(first: 5) { totalCount } }
         myOrders(first: 5) { edges { node { id status total { amount }
           customer { name } lines { quantity product { name stock } } } } } }`,
      {},
      customer.token,
    ),
  );
  expect(mine.me.orders.totalCount).toBe(1);
  expect(mine.myOrders.edges).toEqual([
    {
      node: {
        id: checkout.orderId,
        status: 'PAID',
        total: { amount: 6900 },
        customer: { name: customer.name },
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
