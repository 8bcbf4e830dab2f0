import { randomUUID } from 'node:crypto';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { startOrdersStack } from './support/stack';

const stack = fixtureForFile(() => startOrdersStack());

describe('checkout under concurrency', () => {
  it('20 simultaneous repeats of one idempotency key make one order and one PaymentIntent', async () => {
    const customer = await stack.customer();
    const p = await stack.createProduct({ stock: 5 });
    await stack.addToCart(customer, p.id, 2);
    const idempotencyKey = randomUUID();
    const creates = stack.stripe.paymentIntentCreates();

    const results = await Promise.all(
      Array.from({ length: 20 }, () => stack.checkout(customer, { idempotencyKey })),
    );
    for (const res of results) expect(res.errors).toBeUndefined();
    const orderIds = new Set(results.map((r) => r.data!.checkout.order.id));
    const references = new Set(results.map((r) => r.data!.checkout.payment.providerReference));
    expect(orderIds.size).toBe(1);
    expect(references.size).toBe(1);

    expect(stack.stripe.paymentIntentCreates() - creates).toBe(1);
    const rows = await stack.sql<{ orders: number; payments: number }>(
      `SELECT count(DISTINCT o.id)::int AS orders, count(p.id)::int AS payments
         FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.user_id = $1`,
      [customer.userId],
    );
    expect(rows[0]).toEqual({ orders: 1, payments: 1 });
    expect(await stack.stockOf(p.id)).toBe(3);
  });

  it('50 customers buying the last 10 units at once: 10 orders, 40 OUT_OF_STOCK, stock 0', async () => {
    const p = await stack.createProduct({ stock: 10 });
    const customers = await Promise.all(Array.from({ length: 50 }, () => stack.customer()));
    for (const c of customers) await stack.addToCart(c, p.id, 1);
    const creates = stack.stripe.paymentIntentCreates();

    const results = await Promise.all(customers.map((c) => stack.checkout(c)));
    const placed = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors);
    expect(placed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect(errorCodes(r)).toEqual(['OUT_OF_STOCK']);

    expect(await stack.stockOf(p.id)).toBe(0);
    expect(stack.stripe.paymentIntentCreates() - creates).toBe(10);
    const [row] = await stack.sql<{ n: number }>(
      `SELECT count(DISTINCT order_id)::int AS n FROM order_lines WHERE product_id = $1`,
      [p.id],
    );
    expect(row!.n).toBe(10);
  }, 60_000);
});
