import { ErrorCode, type ShopError } from '@shop/errors';
import type { SubgraphClient } from '@shop/subgraph-client';
import type { CartLine, CatalogProduct, LineSnapshot, ShippingAddress } from '../domain/checkout';

/**
 * A subgraph could not be reached or answered nonsense; an outage for the client
 * (SERVICE_UNAVAILABLE, retryable), the detail in the log. The name orders used before
 * the shared client.
 */
export { UpstreamUnavailableError as SubgraphUnavailableError } from '@shop/subgraph-client';

// The stored lines only: cart would otherwise price the cart through products, and checkout
// prices the order from products itself (one call to products per checkout saved).
const CART_QUERY = `query CheckoutCart { checkoutLines { productId quantity } }`;
const CLEAR_CART = `mutation ClearCartAfterCheckout { clearCart { id } }`;

/** The customer's cart, read and cleared with the customer's own token. */
export class CartClient {
  constructor(private readonly client: SubgraphClient) {}

  async read(token: string, requestId?: string): Promise<CartLine[]> {
    const data = await this.client.data<{ checkoutLines: CartLine[] }>(
      CART_QUERY,
      {},
      { auth: { bearer: token }, requestId },
    );
    return data.checkoutLines.map((l) => ({ productId: l.productId, quantity: l.quantity }));
  }

  async clear(token: string, requestId?: string): Promise<void> {
    await this.client.data(CLEAR_CART, {}, { auth: { bearer: token }, requestId });
  }
}

const USER_ADDRESSES = `query CheckoutAddresses($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id addresses { id line1 line2 city postalCode country } }
  }
}`;

export type AddressRecord = ShippingAddress & { id: string };

/**
 * A user's addresses from the users subgraph, asked for with this service's token (users
 * lets services read private fields): orders need not hold on to the customer's token, and
 * the same call serves jobs that run with no customer around.
 */
export class UsersClient {
  constructor(private readonly client: SubgraphClient) {}

  async addressesOf(userId: string, requestId?: string): Promise<AddressRecord[]> {
    const [user] = await this.client.entities<{ addresses: AddressRecord[] }>(
      USER_ADDRESSES,
      [{ __typename: 'User', id: userId }],
      { auth: 'service', requestId },
    );
    return user?.addresses ?? [];
  }
}

const PRODUCTS_QUERY = `query CheckoutProducts($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id sku name price { amount currency } }
  }
}`;
const RESERVE = `mutation ReserveForOrder($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { orderId status }
}`;
const RELEASE = `mutation ReleaseForOrder($orderId: ID!) { releaseStock(orderId: $orderId) { orderId status } }`;
const COMMIT = `mutation CommitForOrder($orderId: ID!) { commitStock(orderId: $orderId) { orderId status } }`;
const RESTOCK = `mutation RestockForOrder($orderId: ID!) { restockStock(orderId: $orderId) { orderId status } }`;
const CLAIM = `mutation ClaimForOrder($orderId: ID!) { claimStock(orderId: $orderId) { orderId status } }`;

/**
 * The catalog (anonymous reads, so hidden products stay hidden) and stock reservations
 * (with this service's token).
 */
export class ProductsClient {
  constructor(private readonly client: SubgraphClient) {}

  /** Current sku, name and price of each product, in the order asked; null when not sold. */
  findByIds(ids: readonly string[], requestId?: string): Promise<(CatalogProduct | null)[]> {
    return this.client.entities<CatalogProduct>(
      PRODUCTS_QUERY,
      ids.map((id) => ({ __typename: 'Product', id })),
      { requestId },
    );
  }

  async reserve(orderId: string, lines: readonly LineSnapshot[], requestId?: string) {
    await this.asService(
      RESERVE,
      { orderId, lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) },
      requestId,
    );
  }

  /** Gives the units back; a reservation that never came to be is nothing to release. */
  async release(orderId: string, requestId?: string): Promise<void> {
    try {
      await this.asService(RELEASE, { orderId }, requestId);
    } catch (error) {
      if ((error as ShopError).code === ErrorCode.NOT_FOUND) return;
      throw error;
    }
  }

  async commit(orderId: string, requestId?: string): Promise<void> {
    await this.asService(COMMIT, { orderId }, requestId);
  }

  /** Sold units back to stock (a paid order cancelled before it shipped); idempotent. */
  async restock(orderId: string, requestId?: string): Promise<void> {
    await this.asService(RESTOCK, { orderId }, requestId);
  }

  /** Claims the order's stock reservation with products (its claimStock mutation). */
  async claim(orderId: string, requestId?: string): Promise<void> {
    await this.asService(CLAIM, { orderId }, requestId);
  }

  private async asService(
    mutation: string,
    variables: Record<string, unknown>,
    requestId?: string,
  ): Promise<void> {
    await this.client.data(mutation, variables, { auth: 'service', requestId });
  }
}
