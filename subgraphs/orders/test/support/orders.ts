import { paymentIntentEvent, type Customer, type OrdersStack } from './stack';

export interface PlacedOrder {
  customer: Customer;
  orderId: string;
  productId: string;
  intentId: string;
}

/** A fresh PENDING_PAYMENT order of 2 units at 15.00 EUR, from a product with 5 in stock. */
export async function placeOrder(stack: OrdersStack, customer?: Customer): Promise<PlacedOrder> {
  const buyer = customer ?? (await stack.customer());
  const product = await stack.createProduct({ price: { amount: 1500, currency: 'EUR' }, stock: 5 });
  await stack.addToCart(buyer, product.id, 2);
  const res = await stack.checkout(buyer);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const { order, payment } = res.data!.checkout;
  return {
    customer: buyer,
    orderId: order.id as string,
    productId: product.id,
    intentId: payment.providerReference as string,
  };
}

/** Pays an order placed by placeOrder, as Stripe's webhook would. */
export async function pay(stack: OrdersStack, placed: PlacedOrder): Promise<void> {
  const res = await stack.postStripeEvent(
    paymentIntentEvent('payment_intent.succeeded', {
      id: placed.intentId,
      amount: 3000,
      currency: 'eur',
    }),
  );
  if (res.body?.outcome !== 'applied') throw new Error(`payment not applied: ${res.status}`);
}

export async function statusOf(stack: OrdersStack, orderId: string): Promise<string> {
  const [row] = await stack.sql<{ status: string }>('SELECT status FROM orders WHERE id = $1', [
    orderId,
  ]);
  return row!.status;
}

export function outboxOf(stack: OrdersStack, orderId: string, topic: string) {
  return stack.sql<{ id: string; payload: Record<string, unknown>; published_at: Date | null }>(
    `SELECT id::text, payload, published_at FROM outbox
      WHERE payload->>'orderId' = $1 AND topic = $2 ORDER BY created_at`,
    [orderId, topic],
  );
}
