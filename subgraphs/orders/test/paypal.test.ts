import { randomUUID } from 'node:crypto';
import { errorCodes } from '@shop/test-harness';
import { CANCEL_ORDER } from './support/operations';
import { outboxOf, statusOf } from './support/orders';
import { paypalEnv, startPaypalFake, type PaypalFake } from './support/paypal-fake';
import { startOrdersStack, type Customer, type OrdersStack } from './support/stack';

const CAPTURE = `mutation Capture($orderId: ID!) {
  capturePaypalOrder(orderId: $orderId) { id status total { amount currency } }
}`;

let paypal: PaypalFake;
let stack: OrdersStack;
beforeAll(async () => {
  paypal = await startPaypalFake();
  stack = await startOrdersStack(paypalEnv(paypal));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await paypal?.stop();
});
beforeEach(() => {
  paypal.down = false;
  paypal.afterCapture = null;
});

interface PaypalOrder {
  customer: Customer;
  productId: string;
  orderId: string;
  paypalOrderId: string;
  approvalUrl: string;
}

/** 3 units at 12.50 USD from a product with 10 in stock, checked out with PayPal. */
async function checkoutWithPaypal(customer?: Customer): Promise<PaypalOrder> {
  const buyer = customer ?? (await stack.customer());
  const product = await stack.createProduct({
    price: { amount: 1250, currency: 'USD' },
    stock: 10,
  });
  await stack.addToCart(buyer, product.id, 3);
  const res = await stack.checkout(buyer, { paymentMethod: 'PAYPAL' });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const { order, payment } = res.data!.checkout;
  return {
    customer: buyer,
    productId: product.id,
    orderId: order.id,
    paypalOrderId: payment.providerReference,
    approvalUrl: payment.approvalUrl,
  };
}

const capture = (placed: PaypalOrder, token = placed.customer.token) =>
  stack.call(CAPTURE, { orderId: placed.orderId }, token);

describe('PayPal checkout', () => {
  it('opens a PayPal order for the server-side total and hands back its approval link', async () => {
    const placed = await checkoutWithPaypal();
    expect(placed.approvalUrl).toBe(
      `https://www.sandbox.paypal.com/checkoutnow?token=${placed.paypalOrderId}`,
    );
    expect(await statusOf(stack, placed.orderId)).toBe('PENDING_PAYMENT');
    expect(await stack.stockOf(placed.productId)).toBe(7);

    const token = paypal.calls.find((c) => c.path === '/v1/oauth2/token');
    expect(token).toBeDefined();
    const create = paypal.calls.find(
      (c) => c.path === '/v2/checkout/orders' && c.requestId === `order-${placed.orderId}-create`,
    );
    expect(create?.body).toMatchObject({
      intent: 'CAPTURE',
      purchase_units: [
        { custom_id: placed.orderId, amount: { currency_code: 'USD', value: '37.50' } },
      ],
      payment_source: { paypal: { experience_context: { user_action: 'PAY_NOW' } } },
    });
  });

  it('capture before the customer approved → PAYMENT_FAILED, the order still waits', async () => {
    const placed = await checkoutWithPaypal();
    const res = await capture(placed);
    expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
    expect(res.errors![0]!.message).toMatch(/ORDER_NOT_APPROVED/);
    expect(await statusOf(stack, placed.orderId)).toBe('PENDING_PAYMENT');

    // Approved afterwards: the next capture goes through.
    paypal.approve(placed.paypalOrderId);
    const paid = await capture(placed);
    expect(paid.data!.capturePaypalOrder).toMatchObject({
      status: 'PAID',
      total: { amount: 3750, currency: 'USD' },
    });
  });

  it('approved → PAID: stock committed, order.paid written once, a repeat returns the order', async () => {
    const placed = await checkoutWithPaypal();
    paypal.approve(placed.paypalOrderId);
    // Five clicks at once on "pay": PayPal captures once, the order is paid once.
    const results = await Promise.all(Array.from({ length: 5 }, () => capture(placed)));
    for (const res of results) {
      expect(res.errors).toBeUndefined();
      expect(res.data!.capturePaypalOrder.status).toBe('PAID');
    }
    expect(await outboxOf(stack, placed.orderId, 'order.paid')).toHaveLength(1);
    const captures = [...paypal.orders.values()].filter((o) => o.id === placed.paypalOrderId);
    expect(captures[0]!.status).toBe('COMPLETED');
    const [payment] = await stack.sql<{ status: string; capture_reference: string }>(
      'SELECT status, capture_reference FROM payments WHERE order_id = $1',
      [placed.orderId],
    );
    expect(payment).toEqual({ status: 'SUCCEEDED', capture_reference: captures[0]!.captureId });
    // Sold: the reservation is committed, so the units never come back to stock.
    expect(
      await stack.reservationStatus(placed.orderId, [{ productId: placed.productId, quantity: 3 }]),
    ).toBe('COMMITTED');
    expect(await stack.stockOf(placed.productId)).toBe(7);
  });

  it('a declined funding source → PAYMENT_FAILED, payment FAILED, order PENDING_PAYMENT', async () => {
    const placed = await checkoutWithPaypal();
    paypal.decline(placed.paypalOrderId);
    const res = await capture(placed);
    expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
    expect(res.errors![0]!.message).toMatch(/INSTRUMENT_DECLINED/);
    const [payment] = await stack.sql<{ status: string }>(
      'SELECT status FROM payments WHERE order_id = $1',
      [placed.orderId],
    );
    expect(payment!.status).toBe('FAILED');
    expect(await statusOf(stack, placed.orderId)).toBe('PENDING_PAYMENT');
  });

  it("someone else's order is NOT_FOUND; a Stripe order has nothing to capture", async () => {
    const placed = await checkoutWithPaypal();
    const stranger = await stack.customer();
    expect(errorCodes(await capture(placed, stranger.token))).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await stack.call(CAPTURE, { orderId: randomUUID() }, stranger.token)),
    ).toEqual(['NOT_FOUND']);

    const product = await stack.createProduct({ stock: 2 });
    await stack.addToCart(stranger, product.id, 1);
    const stripe = await stack.checkout(stranger);
    const res = await stack.call(
      CAPTURE,
      { orderId: stripe.data!.checkout.order.id },
      stranger.token,
    );
    expect(errorCodes(res)).toEqual(['CONFLICT']);
  });

  it('PayPal down at checkout → PAYMENT_FAILED and nothing left behind', async () => {
    const buyer = await stack.customer();
    const product = await stack.createProduct({
      price: { amount: 500, currency: 'USD' },
      stock: 4,
    });
    await stack.addToCart(buyer, product.id, 2);
    paypal.down = true;
    const res = await stack.checkout(buyer, { paymentMethod: 'PAYPAL' });
    expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
    expect(res.errors![0]!.message).toMatch(/PayPal could not open the payment/);
    expect(await stack.stockOf(product.id)).toBe(4);
    expect(await stack.cartItems(buyer)).toHaveLength(1);
    const [{ n }] = (await stack.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM orders WHERE user_id = $1',
      [buyer.userId],
    )) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('cancelling a paid PayPal order refunds its capture on PayPal', async () => {
    const placed = await checkoutWithPaypal();
    paypal.approve(placed.paypalOrderId);
    await capture(placed);
    const res = await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    expect(res.data!.cancelOrder.status).toBe('CANCELLED');
    const captureId = paypal.orders.get(placed.paypalOrderId)!.captureId;
    expect(paypal.refunds.filter((r) => r.captureId === captureId)).toHaveLength(1);
    const refund = paypal.calls.find((c) => c.path === `/v2/payments/captures/${captureId}/refund`);
    expect(refund?.requestId).toBe(`order-${placed.orderId}-refund`);
    // Paid but not shipped: the sold units are back in stock.
    expect(await stack.stockOf(placed.productId)).toBe(10);
  });

  it('an order cancelled before the customer came back is not captured at all', async () => {
    const placed = await checkoutWithPaypal();
    await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    // The customer was still on PayPal and approved anyway.
    paypal.approve(placed.paypalOrderId);
    const res = await capture(placed);
    expect(errorCodes(res)).toEqual(['CONFLICT']);
    // The order was already cancelled, so capture is not even attempted: nothing to refund.
    expect(paypal.orders.get(placed.paypalOrderId)!.status).toBe('APPROVED');
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');
  });
});

describe('PayPal payment racing a cancellation', () => {
  it('money PayPal took for an order cancelled meanwhile goes straight back', async () => {
    const placed = await checkoutWithPaypal();
    paypal.approve(placed.paypalOrderId);
    // PayPal takes the money; before its answer reaches the shop, the order is cancelled.
    paypal.afterCapture = async () => {
      const res = await stack.call(
        CANCEL_ORDER,
        { orderId: placed.orderId },
        placed.customer.token,
      );
      expect(res.data!.cancelOrder.status).toBe('CANCELLED');
    };
    const res = await capture(placed);
    expect(errorCodes(res)).toEqual(['CONFLICT']);
    expect(res.errors![0]!.message).toMatch(/has been refunded in full/);
    const captureId = paypal.orders.get(placed.paypalOrderId)!.captureId;
    expect(paypal.refunds).toContainEqual({ id: expect.any(String), captureId });
    const [payment] = await stack.sql<{ status: string }>(
      'SELECT status FROM payments WHERE order_id = $1',
      [placed.orderId],
    );
    expect(payment!.status).toBe('REFUNDED');
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');
    expect(await outboxOf(stack, placed.orderId, 'order.paid')).toHaveLength(0);
  });
});

describe('PayPal not configured', () => {
  it('checkout with PAYPAL says so, and nothing is written', async () => {
    const bare = await startOrdersStack();
    try {
      const buyer = await bare.customer();
      const product = await bare.createProduct({ stock: 3 });
      await bare.addToCart(buyer, product.id, 1);
      const res = await bare.checkout(buyer, { paymentMethod: 'PAYPAL' });
      expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
      expect(res.errors![0]!.message).toBe(
        'PayPal is not configured on this shop; choose another payment method.',
      );
      expect(await bare.stockOf(product.id)).toBe(3);
    } finally {
      await bare.stop();
    }
  }, 120_000);
});
