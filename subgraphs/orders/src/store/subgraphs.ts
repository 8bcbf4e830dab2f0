import type { ServiceTokenClient } from '@shop/auth';
import { ErrorCode, ShopError, type ErrorCode as Code } from '@shop/errors';
import { REQUEST_ID_HEADER } from '@shop/logging';
import { Agent, fetch } from 'undici';
import type { CartLine, CatalogProduct, LineSnapshot, ShippingAddress } from '../domain/checkout';

/** A subgraph could not be reached or answered nonsense; masked for the client, logged here. */
export class SubgraphUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubgraphUnavailableError';
  }
}

interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}
interface GraphQLBody<T> {
  data?: T | null;
  errors?: GraphQLErrorBody[];
}

/** Codes a downstream subgraph raises on purpose; they reach our client unchanged. */
const PASS_THROUGH = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.OUT_OF_STOCK,
  ErrorCode.CONFLICT,
  ErrorCode.UNAUTHENTICATED,
]);

/** Re-raises a downstream error that a client can act on; anything else is "unavailable". */
function raise(service: string, error: GraphQLErrorBody): never {
  const code = error.extensions?.code;
  if (code && PASS_THROUGH.has(code)) {
    const { code: _code, ...extensions } = error.extensions ?? {};
    throw new ShopError(code as Code, error.message, extensions);
  }
  throw new SubgraphUnavailableError(`${service} failed: ${error.message} (${code ?? 'no code'})`);
}

/** One pooled HTTP client per subgraph; GraphQL over POST with a timeout. */
export class SubgraphClient {
  private readonly agent = new Agent({ connections: 32 });

  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async request<T>(
    query: string,
    variables: Record<string, unknown>,
    options: { token?: string; requestId?: string } = {},
  ): Promise<{ status: number; body: GraphQLBody<T> }> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.requestId ? { [REQUEST_ID_HEADER]: options.requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json().catch(() => {
        throw new Error(`HTTP ${response.status} without a GraphQL response`);
      })) as GraphQLBody<T>;
      return { status: response.status, body };
    } catch (error) {
      throw new SubgraphUnavailableError(
        `${this.name} subgraph at ${this.url} is unreachable: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The data, or the first error re-raised. */
  async data<T>(
    query: string,
    variables: Record<string, unknown>,
    options: { token?: string; requestId?: string } = {},
  ): Promise<T> {
    const { body } = await this.request<T>(query, variables, options);
    if (body.errors?.length) raise(this.name, body.errors[0]!);
    if (!body.data) throw new SubgraphUnavailableError(`${this.name} answered without data`);
    return body.data;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * Calls with this service's own client-credentials token; a 401 (the token expired early,
 * or the issuer rotated its keys) gets one retry with a fresh token.
 */
async function asService<T>(
  client: SubgraphClient,
  tokens: ServiceTokenClient,
  query: string,
  variables: Record<string, unknown>,
  requestId?: string,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await tokens.token();
    const { body } = await client.request<T>(query, variables, { token, requestId });
    const first = body.errors?.[0];
    if (first?.extensions?.code === ErrorCode.UNAUTHENTICATED && attempt === 0) {
      tokens.invalidate();
      continue;
    }
    if (first) raise(client.name, first);
    if (!body.data) throw new SubgraphUnavailableError(`${client.name} answered without data`);
    return body.data;
  }
}

const CART_QUERY = `query CheckoutCart { cart { items { product { id } quantity unitPrice { amount currency } } } }`;
const CLEAR_CART = `mutation ClearCartAfterCheckout { clearCart { id } }`;

/** The customer's cart, read and cleared with the customer's own token. */
export class CartClient {
  constructor(private readonly client: SubgraphClient) {}

  async read(token: string, requestId?: string): Promise<CartLine[]> {
    const data = await this.client.data<{
      cart: { items: { product: { id: string }; quantity: number }[] };
    }>(CART_QUERY, {}, { token, requestId });
    return data.cart.items.map((i) => ({ productId: i.product.id, quantity: i.quantity }));
  }

  async clear(token: string, requestId?: string): Promise<void> {
    await this.client.data(CLEAR_CART, {}, { token, requestId });
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
  constructor(
    private readonly client: SubgraphClient,
    private readonly tokens: ServiceTokenClient,
  ) {}

  async addressesOf(userId: string, requestId?: string): Promise<AddressRecord[]> {
    const data = await asService<{ _entities: ({ addresses: AddressRecord[] } | null)[] }>(
      this.client,
      this.tokens,
      USER_ADDRESSES,
      { representations: [{ __typename: 'User', id: userId }] },
      requestId,
    );
    return data._entities[0]?.addresses ?? [];
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

/** The catalog (anonymous reads, so hidden products stay hidden) and stock reservations. */
export class ProductsClient {
  constructor(
    private readonly client: SubgraphClient,
    private readonly tokens: ServiceTokenClient,
  ) {}

  /** Current sku, name and price of each product, in the order asked; null when not sold. */
  async findByIds(ids: readonly string[], requestId?: string): Promise<(CatalogProduct | null)[]> {
    if (ids.length === 0) return [];
    const { body } = await this.client.request<{ _entities: (CatalogProduct | null)[] }>(
      PRODUCTS_QUERY,
      { representations: ids.map((id) => ({ __typename: 'Product', id })) },
      { requestId },
    );
    const entities = body.data?._entities;
    if (!Array.isArray(entities) || entities.length !== ids.length) {
      throw new SubgraphUnavailableError(
        `products answered without the ${ids.length} entities asked for: ` +
          (body.errors?.map((e) => e.message).join('; ') || 'no data'),
      );
    }
    const missing = new Set<number>();
    for (const error of body.errors ?? []) {
      const index = error.path?.[1];
      const code = error.extensions?.code;
      if (typeof index !== 'number' || (code !== 'NOT_FOUND' && code !== 'BAD_USER_INPUT')) {
        throw new SubgraphUnavailableError(`products failed: ${error.message}`);
      }
      missing.add(index);
    }
    return entities.map((e, i) => (missing.has(i) ? null : e));
  }

  async reserve(orderId: string, lines: readonly LineSnapshot[], requestId?: string) {
    await asService(
      this.client,
      this.tokens,
      RESERVE,
      { orderId, lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) },
      requestId,
    );
  }

  /** Gives the units back; a reservation that never came to be is nothing to release. */
  async release(orderId: string, requestId?: string): Promise<void> {
    try {
      await asService(this.client, this.tokens, RELEASE, { orderId }, requestId);
    } catch (error) {
      if ((error as ShopError).code === ErrorCode.NOT_FOUND) return;
      throw error;
    }
  }

  async commit(orderId: string, requestId?: string): Promise<void> {
    await asService(this.client, this.tokens, COMMIT, { orderId }, requestId);
  }

  /** Sold units back to stock (a paid order cancelled before it shipped); idempotent. */
  async restock(orderId: string, requestId?: string): Promise<void> {
    await asService(this.client, this.tokens, RESTOCK, { orderId }, requestId);
  }
}
