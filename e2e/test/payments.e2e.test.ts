// Paying and un-paying through the router: PayPal's approve-then-capture, a customer's
// cancel (refunded, units back on the shelf), an administrator's refund, and an unpaid
// order that runs out of time. PayPal is a local server following its Orders v2 API.
import { waitFor } from '@shop/test-harness';
import { paypalEnv, startPaypalFake, type PaypalFake } from '@shop/orders/testing';
import { startPlatform, type Platform } from '../src/platform';
import { Shop } from '../src/shop';

const CAPTURE = `mutation($orderId: ID!) { capturePaypalOrder(orderId: $orderId) { id status } }`;
const CANCEL = `mutation($orderId: ID!) { cancelOrder(orderId: $orderId) { id status } }`;
const REFUND = `mutation($orderId: ID!) { refundOrder(orderId: $orderId) { id status } }`;
const STOCK = `query($id: ID!) { product(id: $id) { stock } }`;
const PAYMENT_TIMEOUT_MS = 6000;

let paypal: PaypalFake;
let platform: Platform;
let shop: Shop;
beforeAll(async () => {
  paypal = await startPaypalFake();
  platform = await startPlatform({
    ordersEnv: { ...paypalEnv(paypal), ORDER_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS) },
  });
  shop = new Shop(platform.url);
}, 90_000);
afterAll(async () => {
  await platform?.stop();
  await paypal?.stop();
});

const stockOf = async (productId: string) =>
  (await shop.ok(STOCK, { id: productId }, await shop.adminToken())).product.stock as number;

const statusOf = async (token: string, orderId: string) =>
  (await shop.ok(`query($id: ID!) { order(id: $id) { status } }`, { id: orderId }, token)).order
    .status as string;

it('PayPal: checkout gives an approval link; after approval, capture makes the order PAID', async () => {
  const customer = await shop.shopper();
  const product = await shop.createProduct({ price: { amount: 1999, currency: 'USD' }, stock: 4 });
  await shop.addToCart(customer, product.id, 2);
  const checkout = await shop.checkout(customer, 'PAYPAL');
  expect(checkout.approvalUrl).toBe(
    `https://www.sandbox.paypal.com/checkoutnow?token=${checkout.providerReference}`,
  );
  expect(paypal.orders.get(checkout.providerReference)!.purchaseUnit.amount).toEqual({
    currency_code: 'USD',
    value: '39.98',
  });

  // The customer approves on PayPal and comes back to the storefront, which captures.
  paypal.approve(checkout.providerReference);
  const captured = await shop.ok(CAPTURE, { orderId: checkout.orderId }, customer.token);
  expect(captured.capturePaypalOrder).toEqual({ id: checkout.orderId, status: 'PAID' });
  const mine = await shop.ok(
    '{ myOrders(first: 1) { edges { node { id status } } } }',
    {},
    customer.token,
  );
  expect(mine.myOrders.edges[0].node).toEqual({ id: checkout.orderId, status: 'PAID' });
  expect(await stockOf(product.id)).toBe(2);
}, 60_000);

it('a customer cancels a paid order: refunded, the units back on the shelf, an e-mail says so', async () => {
  const customer = await shop.shopper();
  // The carrier is slow to answer (503, retried), so the parcel has not left yet: a paid
  // order can only be cancelled before delivery bought its label (then it is FULFILLING).
  platform.delivery.carrier!.failNext(2, 503);
  const order = await shop.paidOrder(customer, 3);
  expect(await stockOf(order.productId)).toBe(7);

  const cancelled = await shop.ok(CANCEL, { orderId: order.orderId }, customer.token);
  expect(cancelled.cancelOrder.status).toBe('CANCELLED');
  expect(await stockOf(order.productId)).toBe(10);
  const mail = await waitFor(
    () =>
      platform.mailbox.received.find(
        (m) => m.to.includes(customer.email) && /cancel/i.test(m.subject),
      ),
    { timeoutMs: 20_000, what: 'the cancellation e-mail' },
  );
  expect(mail.text).toMatch(/refund/i);
  // Cancelling twice is refused, naming the status.
  const again = await shop.call(CANCEL, { orderId: order.orderId }, customer.token);
  expect(again.errors![0]!.extensions!.code).toBe('CONFLICT');
}, 60_000);

it('only an ADMIN refunds; the order becomes REFUNDED', async () => {
  const customer = await shop.shopper();
  const order = await shop.paidOrder(customer);
  const denied = await shop.call(REFUND, { orderId: order.orderId }, customer.token);
  expect(denied.errors![0]!.extensions!.code).toBe('FORBIDDEN');

  const refunded = await shop.ok(REFUND, { orderId: order.orderId }, await shop.adminToken());
  expect(refunded.refundOrder.status).toBe('REFUNDED');
  expect(await statusOf(customer.token, order.orderId)).toBe('REFUNDED');
}, 60_000);

it('an order left unpaid is cancelled when its payment time is over and its stock returns', async () => {
  const customer = await shop.shopper();
  const product = await shop.createProduct({ stock: 5 });
  await shop.addToCart(customer, product.id, 2);
  const checkout = await shop.checkout(customer);
  expect(await stockOf(product.id)).toBe(3);

  await waitFor(async () => (await statusOf(customer.token, checkout.orderId)) === 'CANCELLED', {
    timeoutMs: PAYMENT_TIMEOUT_MS + 15_000,
    intervalMs: 250,
    what: 'the unpaid order cancelled',
  });
  expect(await stockOf(product.id)).toBe(5);
}, 60_000);
