import { createLogger } from '@shop/logging';
import { fixtureForFile } from '@shop/test-harness';
import { chargeRefundedEvent, paymentIntentEvent, startOrdersStack } from './support/stack';

// The service's own logger, watched: refusals must reach the log at warn, not error.
const logger = createLogger('orders', 'silent');
const warn = jest.spyOn(logger, 'warn');
const error = jest.spyOn(logger, 'error');
const stack = fixtureForFile(() => startOrdersStack({}, logger));

/** A fresh PENDING_PAYMENT order of 2 units; returns ids, total and the PaymentIntent id. */
async function placeOrder() {
  const customer = await stack.customer();
  const product = await stack.createProduct({ price: { amount: 1500, currency: 'EUR' }, stock: 5 });
  await stack.addToCart(customer, product.id, 2);
  const res = await stack.checkout(customer);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const { order, payment } = res.data!.checkout;
  return {
    orderId: order.id as string,
    productId: product.id,
    intentId: payment.providerReference as string,
  };
}

const orderState = async (orderId: string) => {
  const [row] = await stack.sql<{
    status: string;
    payment: string;
    history: number;
    outbox: number;
  }>(
    `SELECT o.status, p.status AS payment,
            (SELECT count(*)::int FROM order_status_history h WHERE h.order_id = o.id) AS history,
            (SELECT count(*)::int FROM outbox x
              WHERE x.payload->>'orderId' = o.id::text
                AND x.topic NOT IN ('order.expire', 'order.placed')) AS outbox
       FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1`,
    [orderId],
  );
  return row!;
};

describe('POST /webhooks/stripe', () => {
  it('payment_intent.succeeded makes the order PAID, writes order.paid to the outbox and commits the stock', async () => {
    const { orderId, productId, intentId } = await placeOrder();
    const res = await stack.postStripeEvent(
      paymentIntentEvent('payment_intent.succeeded', {
        id: intentId,
        amount: 3000,
        currency: 'eur',
        orderId,
      }),
    );
    expect(res).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect(await orderState(orderId)).toEqual({
      status: 'PAID',
      payment: 'SUCCEEDED',
      history: 2,
      outbox: 1,
    });
    const [outbox] = await stack.sql(
      `SELECT topic, payload, published_at FROM outbox
        WHERE payload->>'orderId' = $1 AND topic = 'order.paid'`,
      [orderId],
    );
    expect(outbox).toMatchObject({
      topic: 'order.paid',
      payload: { orderId, total: 3000, currency: 'EUR' },
      published_at: null,
    });
    expect(await stack.reservationStatus(orderId, [{ productId, quantity: 2 }])).toBe('COMMITTED');
    expect(await stack.stockOf(productId)).toBe(3);
  });

  it('applies one event once, replayed 100 times (50 of them at the same moment)', async () => {
    const { orderId, intentId } = await placeOrder();
    const event = paymentIntentEvent('payment_intent.succeeded', {
      id: intentId,
      amount: 3000,
      currency: 'eur',
    });
    const concurrent = await Promise.all(
      Array.from({ length: 50 }, () => stack.postStripeEvent(event)),
    );
    const sequential = [];
    for (let i = 0; i < 50; i++) sequential.push(await stack.postStripeEvent(event));
    const all = [...concurrent, ...sequential];
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(all.filter((r) => r.body.outcome === 'applied')).toHaveLength(1);
    expect(all.filter((r) => r.body.outcome === 'duplicate')).toHaveLength(99);
    expect(await orderState(orderId)).toEqual({
      status: 'PAID',
      payment: 'SUCCEEDED',
      history: 2,
      outbox: 1,
    });
    const [row] = await stack.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM processed_webhook_events WHERE id = $1',
      [event.id],
    );
    expect(row!.n).toBe(1);
  }, 60_000);

  it('refuses a tampered payload or a bad signature with 400 and changes nothing', async () => {
    const { orderId, intentId } = await placeOrder();
    const event = paymentIntentEvent('payment_intent.succeeded', {
      id: intentId,
      amount: 3000,
      currency: 'eur',
    });
    const signedForOther = (await import('stripe')).default.webhooks.generateTestHeaderString({
      payload: JSON.stringify({ ...event, id: 'evt_other' }),
      secret: 'whsec_orders_test_secret',
    });
    expect((await stack.postStripeEvent(event, signedForOther)).status).toBe(400);
    expect((await stack.postStripeEvent(event, 't=1,v1=deadbeef')).status).toBe(400);
    expect((await stack.postStripeEvent(event, '')).status).toBe(400);
    expect(await orderState(orderId)).toEqual({
      status: 'PENDING_PAYMENT',
      payment: 'PENDING',
      history: 1,
      outbox: 0,
    });
    const [row] = await stack.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM processed_webhook_events WHERE id = $1',
      [event.id],
    );
    expect(row!.n).toBe(0);
  });

  it('leaves the order unpaid when the amount or the currency does not match', async () => {
    const { orderId, productId, intentId } = await placeOrder();
    for (const [amount, currency] of [
      [2999, 'eur'],
      [3000, 'usd'],
    ] as const) {
      const res = await stack.postStripeEvent(
        paymentIntentEvent('payment_intent.succeeded', { id: intentId, amount, currency }),
      );
      expect(res).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    }
    expect(await orderState(orderId)).toEqual({
      status: 'PENDING_PAYMENT',
      payment: 'PENDING',
      history: 1,
      outbox: 0,
    });
    expect(await stack.reservationStatus(orderId, [{ productId, quantity: 2 }])).toBe('RESERVED');
  });

  it('payment_intent.payment_failed marks the payment FAILED and keeps the order PENDING_PAYMENT', async () => {
    const { orderId, intentId } = await placeOrder();
    const res = await stack.postStripeEvent(
      paymentIntentEvent('payment_intent.payment_failed', {
        id: intentId,
        amount: 3000,
        currency: 'eur',
      }),
    );
    expect(res.body.outcome).toBe('applied');
    expect(await orderState(orderId)).toEqual({
      status: 'PENDING_PAYMENT',
      payment: 'FAILED',
      history: 1,
      outbox: 0,
    });
    const [payment] = await stack.sql(`SELECT failure_message FROM payments WHERE order_id = $1`, [
      orderId,
    ]);
    expect(payment).toEqual({ failure_message: 'Your card was declined.' });
  });

  it('charge.refunded moves a paid order to REFUNDED; an unpaid order is left alone', async () => {
    const paid = await placeOrder();
    await stack.postStripeEvent(
      paymentIntentEvent('payment_intent.succeeded', {
        id: paid.intentId,
        amount: 3000,
        currency: 'eur',
      }),
    );
    const res = await stack.postStripeEvent(chargeRefundedEvent(paid.intentId, 3000, 'eur'));
    expect(res.body.outcome).toBe('applied');
    expect(await orderState(paid.orderId)).toEqual({
      status: 'REFUNDED',
      payment: 'REFUNDED',
      history: 3,
      outbox: 2,
    });
    const history = await stack.sql(
      'SELECT from_status, to_status FROM order_status_history WHERE order_id = $1 ORDER BY created_at',
      [paid.orderId],
    );
    expect(history).toEqual([
      { from_status: null, to_status: 'PENDING_PAYMENT' },
      { from_status: 'PENDING_PAYMENT', to_status: 'PAID' },
      { from_status: 'PAID', to_status: 'REFUNDED' },
    ]);

    const unpaid = await placeOrder();
    const refused = await stack.postStripeEvent(chargeRefundedEvent(unpaid.intentId, 3000, 'eur'));
    expect(refused.body.outcome).toBe('ignored');
    expect((await orderState(unpaid.orderId)).status).toBe('PENDING_PAYMENT');
  });

  it('acknowledges events of types it does not use, and events for unknown PaymentIntents', async () => {
    const unknown = await stack.postStripeEvent(
      paymentIntentEvent('payment_intent.succeeded', {
        id: 'pi_unknown',
        amount: 1,
        currency: 'eur',
      }),
    );
    expect(unknown).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    const other = await stack.postStripeEvent({
      id: 'evt_customer',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    });
    expect(other).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
  });
});

describe('POST /webhooks/stripe: correctly signed bodies that are not events', () => {
  /** Rows a webhook could have written, so that "nothing written" is one comparison. */
  const written = async () =>
    (
      await stack.sql<{ events: number; outbox: number; history: number; payments: string[] }>(
        `SELECT (SELECT count(*)::int FROM processed_webhook_events) AS events,
                (SELECT count(*)::int FROM outbox) AS outbox,
                (SELECT count(*)::int FROM order_status_history) AS history,
                (SELECT coalesce(array_agg(status::text ORDER BY id), '{}') FROM payments) AS payments`,
      )
    )[0]!;
  const refusalsLogged = () =>
    warn.mock.calls.filter(
      (args) => args[1] === 'stripe webhook refused: signed body is not a Stripe event',
    ).length;

  it('answers 400 MALFORMED_EVENT for [1,2], null, "x", {}, non-JSON and an event without data.object, writing nothing', async () => {
    const intentId = 'pi_malformed_cases';
    const event = (overrides: Record<string, unknown>) =>
      JSON.stringify({
        ...paymentIntentEvent('payment_intent.succeeded', {
          id: intentId,
          amount: 3000,
          currency: 'eur',
        }),
        ...overrides,
      });
    const succeeded = JSON.parse(event({})) as { data: { object: Record<string, unknown> } };
    const withObject = (object: unknown) => event({ data: { object } });
    const bodies = [
      '[1,2]',
      'null',
      '"x"',
      '{}',
      '42',
      'x',
      '',
      event({ data: {} }),
      event({ data: null }),
      withObject([1, 2]),
      event({ id: 'evt_\u0000nul' }),
      event({ id: 12 }),
      event({ type: { nested: true } }),
      // The fields payment_intent.succeeded reads, each missing or of another type.
      withObject({ ...succeeded.data.object, id: undefined }),
      withObject({ ...succeeded.data.object, amount: '3000' }),
      withObject({ ...succeeded.data.object, amount: 30.5 }),
      withObject({ ...succeeded.data.object, currency: null }),
      JSON.stringify({
        id: 'evt_failed_bad',
        type: 'payment_intent.payment_failed',
        data: { object: { id: intentId, last_payment_error: { message: 42 } } },
      }),
      JSON.stringify({
        id: 'evt_refund_bad',
        type: 'charge.refunded',
        data: { object: { id: 'ch_1', amount_refunded: 3000, payment_intent: ['pi'] } },
      }),
    ];
    const before = await written();
    const logged = refusalsLogged();
    const errorsLogged = error.mock.calls.length;
    for (const body of bodies) {
      const res = await stack.postStripeBody(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toEqual({ error: expect.any(String), code: 'MALFORMED_EVENT' });
    }
    expect(await written()).toEqual(before);
    expect(refusalsLogged() - logged).toBe(bodies.length);
    expect(error.mock.calls.length).toBe(errorsLogged);
  });

  it('keeps a stable code for a bad signature too, and still applies a well-formed event afterwards', async () => {
    const res = await stack.postStripeEvent(
      { id: 'evt_x', type: 'x', data: { object: {} } },
      't=1,v1=00',
    );
    expect(res).toEqual({
      status: 400,
      body: { error: 'Invalid Stripe-Signature.', code: 'INVALID_SIGNATURE' },
    });
    const { orderId, intentId } = await placeOrder();
    const paid = await stack.postStripeEvent(
      paymentIntentEvent('payment_intent.succeeded', {
        id: intentId,
        amount: 3000,
        currency: 'eur',
      }),
    );
    expect(paid).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect((await orderState(orderId)).status).toBe('PAID');
  });
});
