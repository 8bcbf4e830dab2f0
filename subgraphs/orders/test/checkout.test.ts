import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { registry } from '@shop/metrics';
import { MAX_TOTAL_AMOUNT, MAX_UNIT_PRICE } from '@shop/money';
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
import { CHECKOUT } from './support/operations';
import { startOrdersStack, type Customer } from './support/stack';

const stack = fixtureForFile(() => startOrdersStack());

const counts = async () => {
  const [row] = await stack.sql<{
    orders: number;
    lines: number;
    payments: number;
    history: number;
  }>(
    `SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM order_lines) AS lines,
            (SELECT count(*)::int FROM payments) AS payments, (SELECT count(*)::int FROM order_status_history) AS history`,
  );
  return row!;
};

describe('checkout', () => {
  it('places the order: PENDING_PAYMENT, line snapshots, server total, PaymentIntent, cart emptied, stock reserved', async () => {
    const customer = await stack.customer();
    const mug = await stack.createProduct({
      name: 'Mug',
      price: { amount: 1250, currency: 'EUR' },
      stock: 5,
    });
    const tea = await stack.createProduct({
      name: 'Tea',
      price: { amount: 499, currency: 'EUR' },
      stock: 7,
    });
    await stack.addToCart(customer, mug.id, 2);
    await stack.addToCart(customer, tea.id, 3);
    const before = stack.stripe.paymentIntentCreates();

    const res = await stack.checkout(customer);
    expect(res.errors).toBeUndefined();
    const { order, payment } = res.data!.checkout;
    expect(order).toMatchObject({
      status: 'PENDING_PAYMENT',
      total: { amount: 2 * 1250 + 3 * 499, currency: 'EUR' },
      customer: { id: customer.userId },
      shippingAddress: {
        line1: '1 Main St',
        line2: null,
        city: 'Berlin',
        postalCode: '10115',
        country: 'DE',
      },
    });
    expect(order.lines).toEqual([
      {
        product: { id: mug.id },
        sku: mug.sku,
        name: 'Mug',
        quantity: 2,
        unitPrice: { amount: 1250, currency: 'EUR' },
        lineTotal: { amount: 2500, currency: 'EUR' },
      },
      {
        product: { id: tea.id },
        sku: tea.sku,
        name: 'Tea',
        quantity: 3,
        unitPrice: { amount: 499, currency: 'EUR' },
        lineTotal: { amount: 1497, currency: 'EUR' },
      },
    ]);
    expect(payment).toMatchObject({ provider: 'STRIPE', approvalUrl: null });
    expect(payment.clientSecret).toMatch(/^pi_\w+_secret_\w+$/);
    expect(payment.providerReference).toMatch(/^pi_/);

    // One PaymentIntent, with the Stripe idempotency key derived from the order id.
    expect(stack.stripe.paymentIntentCreates()).toBe(before + 1);
    expect(stack.stripe.requests.at(-1)!.idempotencyKey).toBe(`order-${order.id}-payment-intent`);

    expect(await stack.cartItems(customer)).toEqual([]);
    expect(await stack.stockOf(mug.id)).toBe(3);
    expect(await stack.stockOf(tea.id)).toBe(4);

    const [row] = await stack.sql(
      `SELECT o.status, o.total_amount, p.status AS payment_status, p.provider_reference,
              (SELECT count(*)::int FROM order_status_history h WHERE h.order_id = o.id) AS history
         FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = $1`,
      [order.id],
    );
    expect(row).toMatchObject({
      status: 'PENDING_PAYMENT',
      total_amount: 3997,
      payment_status: 'PENDING',
      provider_reference: payment.providerReference,
      history: 1,
    });
  });

  it('prices from the catalog, not from anything the client holds', async () => {
    const customer = await stack.customer();
    const p = await stack.createProduct({ price: { amount: 1000, currency: 'EUR' }, stock: 3 });
    await stack.addToCart(customer, p.id, 1);
    const update = await fetch(stack.products.service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
      body: JSON.stringify({
        query: `mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: 1500, currency: "EUR" } }) { id } }`,
        variables: { id: p.id },
      }),
    });
    expect(update.status).toBe(200);
    const res = await stack.checkout(customer);
    expect(res.data!.checkout.order.total).toEqual({ amount: 1500, currency: 'EUR' });
  });

  it('returns the same order and payment for a repeated idempotency key', async () => {
    const customer = await stack.customer();
    const p = await stack.createProduct({ stock: 4 });
    await stack.addToCart(customer, p.id, 1);
    const idempotencyKey = randomUUID();
    const first = await stack.checkout(customer, { idempotencyKey });
    const creates = stack.stripe.paymentIntentCreates();
    const again = await stack.checkout(customer, { idempotencyKey });
    expect(again.errors).toBeUndefined();
    expect(again.data!.checkout).toEqual(first.data!.checkout);
    expect(stack.stripe.paymentIntentCreates()).toBe(creates);
    expect(await stack.stockOf(p.id)).toBe(3);
  });

  describe('refuses, and writes nothing', () => {
    let customer: Customer;
    let product: { id: string };
    beforeAll(async () => {
      customer = await stack.customer();
      product = await stack.createProduct({ stock: 2 });
    });
    beforeEach(async () => {
      stack.stripe.failing = false;
      if ((await stack.cartItems(customer)).length === 0)
        await stack.addToCart(customer, product.id, 1);
    });

    const expectNothingChanged = async (before: Awaited<ReturnType<typeof counts>>) => {
      expect(await counts()).toEqual(before);
      expect(await stack.cartItems(customer)).toEqual([
        { product: { id: product.id }, quantity: 1 },
      ]);
      expect(await stack.stockOf(product.id)).toBe(2);
    };

    it('an anonymous caller (UNAUTHENTICATED)', async () => {
      const res = await stack.call(CHECKOUT, {
        input: {
          paymentMethod: 'STRIPE',
          shippingAddressId: customer.addressId,
          idempotencyKey: 'k',
        },
      });
      expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
    });

    it('an empty cart (BAD_USER_INPUT)', async () => {
      const empty = await stack.customer();
      const res = await stack.checkout(empty);
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toBe('Your cart is empty.');
    });

    it("someone else's or an unknown address (NOT_FOUND, naming it)", async () => {
      const other = await stack.customer();
      const before = await counts();
      for (const shippingAddressId of [other.addressId, randomUUID()]) {
        const res = await stack.checkout(customer, { shippingAddressId });
        expect(errorCodes(res)).toEqual(['NOT_FOUND']);
        expect(res.errors![0]!.message).toBe(
          `Shipping address ${shippingAddressId} was not found.`,
        );
      }
      await expectNothingChanged(before);
    });

    it('a bad idempotency key (BAD_USER_INPUT)', async () => {
      const res = await stack.checkout(customer, { idempotencyKey: '' });
      expect(res.errors![0]!.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'idempotencyKey',
      });
    });

    it('PayPal, when it is not configured (PAYMENT_FAILED)', async () => {
      const before = await counts();
      const res = await stack.checkout(customer, { paymentMethod: 'PAYPAL' });
      expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
      expect(res.errors![0]!.message).toMatch(/PayPal is not configured/);
      await expectNothingChanged(before);
    });

    it('more than the stock (OUT_OF_STOCK from products)', async () => {
      await stack.addToCart(customer, product.id, 1); // 2 in the cart, 2 in stock
      const rival = await stack.customer();
      await stack.addToCart(rival, product.id, 1);
      expect((await stack.checkout(rival)).errors).toBeUndefined(); // 1 left
      const before = await counts();
      const res = await stack.checkout(customer);
      expect(errorCodes(res)).toEqual(['OUT_OF_STOCK']);
      expect(res.errors![0]!.extensions).toMatchObject({ available: 1, productId: product.id });
      expect(await counts()).toEqual(before);
      expect(await stack.cartItems(customer)).toEqual([
        { product: { id: product.id }, quantity: 2 },
      ]);
      expect(await stack.stockOf(product.id)).toBe(1);
      // Back to the shared starting point of this block.
      await fetch(stack.products.service.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${stack.adminToken}`,
        },
        body: JSON.stringify({
          query: `mutation($id: ID!) { adjustStock(productId: $id, delta: 1) { id } }`,
          variables: { id: product.id },
        }),
      });
      await fetch(stack.cart.service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
        body: JSON.stringify({
          query: `mutation($id: ID!) { updateCartItem(productId: $id, quantity: 1) { id } }`,
          variables: { id: product.id },
        }),
      });
    });

    it('Stripe down (PAYMENT_FAILED): stock released, cart kept, no order', async () => {
      const before = await counts();
      stack.stripe.failing = true;
      const res = await stack.checkout(customer);
      stack.stripe.failing = false;
      expect(errorCodes(res)).toEqual(['PAYMENT_FAILED']);
      expect(res.errors![0]!.message).toMatch(/Nothing was charged/);
      await expectNothingChanged(before);
      // ... and the same key works once Stripe is back.
      const retry = await stack.checkout(customer);
      expect(retry.errors).toBeUndefined();
    });

    it('the database failing after Stripe answered: PaymentIntent cancelled, nothing kept', async () => {
      const buyer = await stack.customer();
      const product = await stack.createProduct({ stock: 4 });
      await stack.addToCart(buyer, product.id, 1);
      const before = await counts();
      const cancels = () =>
        stack.stripe.requests.filter((r) => /^\/v1\/payment_intents\/[^/]+\/cancel$/.test(r.path));
      const cancelled = cancels().length;
      // The payment row cannot be written: the transaction fails after the PaymentIntent exists.
      await stack.sql(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'payments are read-only'; END $$`);
      await stack.sql(
        'CREATE TRIGGER refuse BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse()',
      );
      try {
        const res = await stack.checkout(buyer);
        expect(errorCodes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
      } finally {
        await stack.sql('DROP TRIGGER refuse ON payments');
        await stack.sql('DROP FUNCTION refuse()');
      }
      expect(cancels()).toHaveLength(cancelled + 1);
      expect(await counts()).toEqual(before);
      expect(await stack.stockOf(product.id)).toBe(4);
      expect(await stack.cartItems(buyer)).toHaveLength(1);
    });
  });
});

describe('checkout: totals beyond what an order can hold', () => {
  it('refuses with BAD_USER_INPUT before anything is written, reserved or opened with Stripe', async () => {
    const customer = await stack.customer();
    // The cart refuses to grow past MAX_TOTAL_AMOUNT, so the lines go in at a low price and
    // the catalog raises it to MAX_UNIT_PRICE afterwards, as a price change would. Each line
    // stays within MAX_TOTAL_AMOUNT (and the cart's 99 per line); their sum does not.
    const lines = [
      { product: await stack.createProduct({ stock: 50 }), quantity: 11 },
      { product: await stack.createProduct({ stock: 50 }), quantity: 10 },
    ];
    expect(21 * MAX_UNIT_PRICE).toBeGreaterThan(MAX_TOTAL_AMOUNT);
    for (const { product, quantity } of lines) {
      await stack.addToCart(customer, product.id, quantity);
      await stack.setPrice(product.id, { amount: MAX_UNIT_PRICE, currency: 'EUR' });
    }
    const before = { rows: await counts(), intents: stack.stripe.paymentIntentCreates() };

    const res = await stack.checkout(customer);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'quantity' });
    expect({ rows: await counts(), intents: stack.stripe.paymentIntentCreates() }).toEqual(before);
    for (const { product } of lines) expect(await stack.stockOf(product.id)).toBe(50);
    expect(await stack.cartItems(customer)).toHaveLength(2);
  });
});

describe('checkout of a cart holding a product that left the catalog', () => {
  it('is refused naming the product; nothing is written, reserved or charged', async () => {
    const customer = await stack.customer();
    const mug = await stack.createProduct({ stock: 5 });
    const gone = await stack.createProduct({ stock: 5 });
    await stack.addToCart(customer, mug.id, 1);
    await stack.addToCart(customer, gone.id, 1);
    const res = await graphql<Record<string, any>>(
      stack.products.service.url,
      'mutation($id: ID!) { updateProduct(id: $id, input: { active: false }) { id } }',
      { id: gone.id },
      { token: stack.adminToken },
    );
    expect(res.errors).toBeUndefined();
    const before = await counts();
    const intents = stack.stripe.paymentIntentCreates();

    const refused = await stack.checkout(customer);
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cart' });
    expect(refused.errors![0]!.message).toContain(
      `Product ${gone.id} in your cart is no longer sold`,
    );
    expect(await counts()).toEqual(before);
    expect(stack.stripe.paymentIntentCreates()).toBe(intents);
    expect(await stack.stockOf(mug.id)).toBe(5);
    // Looking at the cart drops the line (cart's rule for vanished products); then it works.
    expect(await stack.cartItems(customer)).toEqual([{ product: { id: mug.id }, quantity: 1 }]);
    const again = await stack.checkout(customer);
    expect(again.errors).toBeUndefined();
    expect(await stack.stockOf(mug.id)).toBe(4);
  });
});

describe('checkout outcomes (metrics)', () => {
  /** shop_orders_checkouts_total of Stripe checkouts with this outcome, as /metrics serves it. */
  async function checkouts(outcome: string): Promise<number> {
    const text = await registry.metrics();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('shop_orders_checkouts_total{') &&
          l.includes('payment_method="STRIPE"') &&
          l.includes(`outcome="${outcome}"`),
      );
    return line === undefined ? 0 : Number(line.split(' ').pop());
  }

  it('counts a placed checkout, and a refused one by its error code', async () => {
    const before = {
      placed: await checkouts('placed'),
      refused: await checkouts('BAD_USER_INPUT'),
    };
    const customer = await stack.customer();
    const empty = await stack.checkout(customer);
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    const mug = await stack.createProduct({ stock: 5 });
    await stack.addToCart(customer, mug.id, 1);
    expect((await stack.checkout(customer)).errors).toBeUndefined();
    expect({
      placed: await checkouts('placed'),
      refused: await checkouts('BAD_USER_INPUT'),
    }).toEqual({
      placed: before.placed + 1,
      refused: before.refused + 1,
    });
  });
});

describe('checkout: what it asks of the orders database', () => {
  // Every statement costs a round trip and, through Prisma, a query compilation (the largest
  // item of orders' CPU per checkout; bench/results/checkout.md). This pins the count, so a
  // change that adds a statement to every checkout shows up here rather than in a benchmark.
  it('places an order in one transaction of seven statements and reads nothing back', async () => {
    const statements: string[] = [];
    const query = pg.Client.prototype.query;
    const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      if (this.database === stack.db.name) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
        statements.push(String(text).trim().split(/\s+/).slice(0, 3).join(' '));
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      const customer = await stack.customer();
      const kettle = await stack.createProduct({
        name: 'Kettle',
        price: { amount: 3900, currency: 'EUR' },
        stock: 3,
      });
      await stack.addToCart(customer, kettle.id, 1);
      statements.length = 0;

      const res = await stack.checkout(customer);
      expect(res.errors).toBeUndefined();
      expect(res.data!.checkout.order.lines).toEqual([
        expect.objectContaining({ name: 'Kettle', quantity: 1 }),
      ]);
      // BEGIN; the order, its lines, its first history entry, the payment, both outbox rows
      // in one insert; COMMIT. The answer (lines included) is built from what was written.
      expect(statements).toEqual([
        'BEGIN',
        expect.stringMatching(/^INSERT INTO "public"."orders"/),
        expect.stringMatching(/^INSERT INTO "public"."order_lines"/),
        expect.stringMatching(/^INSERT INTO "public"."order_status_history"/),
        expect.stringMatching(/^INSERT INTO "public"."payments"/),
        expect.stringMatching(/^INSERT INTO "public"."outbox"/),
        'COMMIT',
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
