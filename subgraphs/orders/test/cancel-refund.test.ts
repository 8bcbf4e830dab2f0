import { randomUUID } from 'node:crypto';
import { fixtureForFile } from '@shop/test-harness';
import { CANCEL_ORDER, REFUND_ORDER } from './support/operations';
import { outboxOf, pay, placeOrder, statusOf } from './support/orders';
import { startOrdersStack } from './support/stack';

const stack = fixtureForFile(() => startOrdersStack());

const refundsAt = () =>
  stack.stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');

async function paymentStatus(orderId: string) {
  const [row] = await stack.sql<{ status: string }>(
    'SELECT status FROM payments WHERE order_id = $1',
    [orderId],
  );
  return row!.status;
}

describe('cancelOrder', () => {
  it('cancels an unpaid order, releases its stock and writes order.cancelled', async () => {
    const placed = await placeOrder(stack);
    expect(await stack.stockOf(placed.productId)).toBe(3);
    const refunds = refundsAt().length;

    const res = await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelOrder).toMatchObject({ id: placed.orderId, status: 'CANCELLED' });
    expect(await stack.stockOf(placed.productId)).toBe(5);
    expect(refundsAt()).toHaveLength(refunds);
    const [event] = await outboxOf(stack, placed.orderId, 'order.cancelled');
    expect(event!.payload).toEqual({
      orderId: placed.orderId,
      userId: placed.customer.userId,
      total: 3000,
      currency: 'EUR',
      refunded: false,
      reason: 'customer',
    });
    const history = await stack.sql(
      'SELECT from_status, to_status, reason FROM order_status_history WHERE order_id = $1 ORDER BY created_at',
      [placed.orderId],
    );
    expect(history.at(-1)).toEqual({
      from_status: 'PENDING_PAYMENT',
      to_status: 'CANCELLED',
      reason: 'customer',
    });
  });

  it('refunds a Stripe payment that succeeds after the order was cancelled', async () => {
    const placed = await placeOrder(stack);
    await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    const refunds = refundsAt().length;
    // The customer's bank confirmed late: Stripe reports the money taken.
    await pay(stack, placed);
    expect(refundsAt()).toHaveLength(refunds + 1);
    expect(refundsAt().at(-1)!.idempotencyKey).toBe(`order-${placed.orderId}-refund`);
    expect(await paymentStatus(placed.orderId)).toBe('REFUNDED');
    expect(await statusOf(stack, placed.orderId)).toBe('CANCELLED');
    expect(await outboxOf(stack, placed.orderId, 'order.paid')).toHaveLength(0);
  });

  it('refunds a paid order on Stripe, then cancels it', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    const refunds = refundsAt().length;

    const res = await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelOrder.status).toBe('CANCELLED');
    expect(refundsAt()).toHaveLength(refunds + 1);
    expect(refundsAt().at(-1)!.idempotencyKey).toBe(`order-${placed.orderId}-refund`);
    expect(await paymentStatus(placed.orderId)).toBe('REFUNDED');
    const [event] = await outboxOf(stack, placed.orderId, 'order.cancelled');
    expect(event!.payload).toMatchObject({ refunded: true, reason: 'customer' });
    // The paid units were sold (committed); they had not left, so they go back to stock.
    expect(await stack.stockOf(placed.productId)).toBe(5);
    expect(
      await stack.reservationStatus(placed.orderId, [{ productId: placed.productId, quantity: 2 }]),
    ).toBe('RESTOCKED');
  });

  it('refuses what the state machine forbids with CONFLICT and changes nothing', async () => {
    const placed = await placeOrder(stack);
    await stack.call(CANCEL_ORDER, { orderId: placed.orderId }, placed.customer.token);
    const again = await stack.call(
      CANCEL_ORDER,
      { orderId: placed.orderId },
      placed.customer.token,
    );
    expect(again.errors![0]).toMatchObject({
      message: `Order ${placed.orderId} is CANCELLED and cannot become CANCELLED; CANCELLED is final.`,
      extensions: { code: 'CONFLICT', from: 'CANCELLED', to: 'CANCELLED' },
    });

    const shipped = await placeOrder(stack);
    await pay(stack, shipped);
    await stack.sql(`UPDATE orders SET status = 'FULFILLING' WHERE id = $1`, [shipped.orderId]);
    const late = await stack.call(
      CANCEL_ORDER,
      { orderId: shipped.orderId },
      shipped.customer.token,
    );
    expect(late.errors![0]!.extensions!.code).toBe('CONFLICT');
    expect(late.errors![0]!.message).toBe(
      `Order ${shipped.orderId} is FULFILLING and cannot become CANCELLED; ` +
        'from FULFILLING it can only become SHIPPED or REFUNDED.',
    );
    expect(await statusOf(stack, shipped.orderId)).toBe('FULFILLING');
    expect(await paymentStatus(shipped.orderId)).toBe('SUCCEEDED');
  });

  it("answers NOT_FOUND for someone else's order or an unknown id, UNAUTHENTICATED without a token", async () => {
    const placed = await placeOrder(stack);
    const other = await stack.customer();
    for (const orderId of [placed.orderId, randomUUID(), 'not-an-id']) {
      const res = await stack.call(CANCEL_ORDER, { orderId }, other.token);
      expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    }
    const anonymous = await stack.call(CANCEL_ORDER, { orderId: placed.orderId });
    expect(anonymous.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(await statusOf(stack, placed.orderId)).toBe('PENDING_PAYMENT');
    expect(await stack.stockOf(placed.productId)).toBe(3);
  });
});

describe('refundOrder', () => {
  it('ADMIN refunds a paid order on Stripe: REFUNDED, payment refunded, order.refunded written', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    const refunds = refundsAt().length;

    const res = await stack.call(REFUND_ORDER, { orderId: placed.orderId }, stack.adminToken);
    expect(res.errors).toBeUndefined();
    expect(res.data!.refundOrder).toMatchObject({ id: placed.orderId, status: 'REFUNDED' });
    expect(refundsAt()).toHaveLength(refunds + 1);
    expect(await paymentStatus(placed.orderId)).toBe('REFUNDED');
    const [event] = await outboxOf(stack, placed.orderId, 'order.refunded');
    expect(event!.payload).toEqual({
      orderId: placed.orderId,
      userId: placed.customer.userId,
      amount: 3000,
      currency: 'EUR',
    });
  });

  it('refunds a DELIVERED order too', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    await stack.sql(`UPDATE orders SET status = 'DELIVERED' WHERE id = $1`, [placed.orderId]);
    const res = await stack.call(REFUND_ORDER, { orderId: placed.orderId }, stack.adminToken);
    expect(res.data!.refundOrder.status).toBe('REFUNDED');
  });

  it('refuses an unpaid or already refunded order with CONFLICT, without calling Stripe', async () => {
    const placed = await placeOrder(stack);
    const refunds = refundsAt().length;
    const res = await stack.call(REFUND_ORDER, { orderId: placed.orderId }, stack.adminToken);
    expect(res.errors![0]).toMatchObject({
      message: `Order ${placed.orderId} is PENDING_PAYMENT and cannot become REFUNDED; from PENDING_PAYMENT it can only become PAID or CANCELLED.`,
      extensions: { code: 'CONFLICT' },
    });
    expect(refundsAt()).toHaveLength(refunds);
    expect(await statusOf(stack, placed.orderId)).toBe('PENDING_PAYMENT');

    const paid = await placeOrder(stack);
    await pay(stack, paid);
    await stack.call(REFUND_ORDER, { orderId: paid.orderId }, stack.adminToken);
    const twice = await stack.call(REFUND_ORDER, { orderId: paid.orderId }, stack.adminToken);
    expect(twice.errors![0]!.message).toMatch(/is REFUNDED and cannot become REFUNDED/);
  });

  it('is FORBIDDEN to a customer, even for their own order; NOT_FOUND for an unknown order', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    const res = await stack.call(REFUND_ORDER, { orderId: placed.orderId }, placed.customer.token);
    expect(res.errors![0]).toMatchObject({
      message: 'This operation requires the ADMIN role.',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await statusOf(stack, placed.orderId)).toBe('PAID');
    const unknown = await stack.call(REFUND_ORDER, { orderId: randomUUID() }, stack.adminToken);
    expect(unknown.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('leaves the order PAID when Stripe is down (PAYMENT_FAILED)', async () => {
    const placed = await placeOrder(stack);
    await pay(stack, placed);
    stack.stripe.failing = true;
    try {
      const res = await stack.call(REFUND_ORDER, { orderId: placed.orderId }, stack.adminToken);
      expect(res.errors![0]!.extensions!.code).toBe('PAYMENT_FAILED');
    } finally {
      stack.stripe.failing = false;
    }
    expect(await statusOf(stack, placed.orderId)).toBe('PAID');
    expect(await paymentStatus(placed.orderId)).toBe('SUCCEEDED');
    expect(await outboxOf(stack, placed.orderId, 'order.refunded')).toEqual([]);
  });
});
