import { BadUserInputError, NotFoundError } from '@shop/errors';
import { multiply, sum, type Money } from '@shop/money';

export const PaymentMethod = { STRIPE: 'STRIPE', PAYPAL: 'PAYPAL' } as const;
export type PaymentMethod = (typeof PaymentMethod)[keyof typeof PaymentMethod];

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** The client's idempotency key: 1-200 printable characters, kept as sent. */
export function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || /[^\x21-\x7e]/.test(key)) {
    throw new BadUserInputError(
      `idempotencyKey must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters without spaces, e.g. a UUID.`,
      'idempotencyKey',
    );
  }
  return key;
}

/** One line of the customer's cart, as the cart subgraph reports it. */
export interface CartLine {
  productId: string;
  quantity: number;
}

/** The catalog's current data for a product, as the products subgraph reports it. */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  price: Money;
}

export interface ShippingAddress {
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
}

/** What an order line stores: a snapshot of the product at checkout. */
export interface LineSnapshot {
  productId: string;
  sku: string;
  name: string;
  unitAmount: number;
  quantity: number;
}

export interface PricedOrder {
  lines: LineSnapshot[];
  total: Money;
}

/**
 * Prices the cart from the catalog's current prices (never from anything the client sent):
 * one snapshot line per cart line, and the total in the one currency of the products.
 * A product the catalog no longer sells is refused by name (or id), so the customer can
 * remove it and try again. A line total or a total above MAX_TOTAL_AMOUNT (more than the
 * order's integer columns and GraphQL's Int hold) is TotalTooLargeError, BAD_USER_INPUT:
 * checkout prices before it writes, reserves or opens a payment, so nothing is left behind.
 */
export function priceOrder(
  cart: readonly CartLine[],
  products: readonly (CatalogProduct | null)[],
): PricedOrder {
  if (cart.length === 0) throw new BadUserInputError('Your cart is empty.', 'cart');
  const lines = cart.map((line, i): LineSnapshot => {
    const product = products[i];
    if (!product) {
      throw new BadUserInputError(
        `Product ${line.productId} in your cart is no longer sold; remove it and try again.`,
        'cart',
      );
    }
    return {
      productId: line.productId,
      sku: product.sku,
      name: product.name,
      unitAmount: product.price.amount,
      quantity: line.quantity,
    };
  });
  const currency = products[0]!.price.currency;
  const total = sum(
    lines.map((l, i) => multiply(products[i]!.price, l.quantity)),
    currency,
  );
  return { lines, total };
}

/** The customer's address with this id, or NOT_FOUND naming it. */
export function pickAddress<A extends { id: string }>(addresses: readonly A[], id: string): A {
  const address = addresses.find((a) => a.id === id);
  if (!address) throw new NotFoundError('Shipping address', id);
  return address;
}
