import { ErrorCode, isOutageStatus, ServiceUnavailableError } from '@shop/errors';
import { REQUEST_ID_HEADER } from '@shop/logging';
import { Agent, fetch } from 'undici';
import type { CatalogProduct } from '../domain/cart';

/**
 * The products subgraph answered something the cart cannot use (a malformed product, an
 * error that is not about one product): a bug somewhere, masked as INTERNAL_SERVER_ERROR
 * for the client and logged with this message.
 */
export class CatalogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/**
 * The products subgraph is down, did not answer in time, or said its own store is down
 * (SERVICE_UNAVAILABLE). Carts are never shown without prices, so the operation fails
 * with SERVICE_UNAVAILABLE (retryable) before anything is written; `detail` says what
 * happened, for the log.
 */
export class CatalogUnavailableError extends ServiceUnavailableError {
  constructor(readonly detail: string) {
    super(
      'The product catalog is unavailable, so the cart cannot be priced. Nothing was changed; try again shortly.',
    );
  }
}

const PRODUCTS_QUERY = `query CartProducts($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id name price { amount currency } stock }
  }
}`;

/** Errors about one entity that mean "no such product" rather than "products is broken". */
const NOT_A_PRODUCT = new Set<string>([
  ErrorCode.NOT_FOUND,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.FORBIDDEN,
]);

interface EntitiesResponse {
  data?: { _entities?: unknown[] } | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/**
 * Reads current prices and stock from the products subgraph, through the federation
 * `_entities` query sent straight to the subgraph (internal network; the router would add
 * a hop and its own planning for nothing). No data of the catalog is ever copied into the
 * cart's store. Calls go anonymously on purpose: products hides deleted and inactive
 * products from non-admin callers, and a cart must not hold them even for an admin.
 */
export class ProductCatalog {
  // Keep-alive pool: every cart request makes one call here.
  private readonly agent = new Agent({ connections: 32 });

  constructor(private readonly options: { url: string; timeoutMs: number }) {}

  /**
   * Products by id, in the order asked, with one HTTP request for all of them; null where
   * the catalog has no such (active) product.
   */
  async findByIds(ids: readonly string[], requestId?: string): Promise<(CatalogProduct | null)[]> {
    if (ids.length === 0) return [];
    const { url, timeoutMs } = this.options;
    let body: EntitiesResponse;
    try {
      const response = await fetch(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
        },
        body: JSON.stringify({
          query: PRODUCTS_QUERY,
          variables: { representations: ids.map((id) => ({ __typename: 'Product', id })) },
        }),
      });
      const parsed = (await response.json().catch(() => undefined)) as EntitiesResponse | undefined;
      if (!parsed) {
        const problem = `products subgraph at ${url} answered HTTP ${response.status} without a GraphQL response`;
        if (isOutageStatus(response.status)) throw new CatalogUnavailableError(problem);
        throw new CatalogError(problem);
      }
      body = parsed;
    } catch (error) {
      if (error instanceof CatalogError || error instanceof CatalogUnavailableError) throw error;
      // Refused, reset or timed out (PRODUCTS_TIMEOUT_MS): products cannot answer now.
      throw new CatalogUnavailableError(
        `products subgraph at ${url} is unreachable: ${(error as Error).message}` +
          ((error as Error).cause ? ` (${String((error as Error).cause)})` : ''),
      );
    }
    return this.parse(ids, body);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private parse(ids: readonly string[], body: EntitiesResponse): (CatalogProduct | null)[] {
    // Products' own store is down: it says so with SERVICE_UNAVAILABLE, at the whole
    // call or at some of the entities. Either way the cart cannot be priced now.
    const outage = body.errors?.find((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE);
    if (outage) {
      throw new CatalogUnavailableError(`products subgraph is unavailable: ${outage.message}`);
    }
    const entities = body.data?._entities;
    if (!Array.isArray(entities) || entities.length !== ids.length) {
      throw new CatalogError(
        `products subgraph answered without the ${ids.length} entities asked for: ` +
          (body.errors?.map((e) => e.message).join('; ') || 'no data'),
      );
    }
    const missing = new Set<number>();
    for (const error of body.errors ?? []) {
      const [root, index] = error.path ?? [];
      if (
        root !== '_entities' ||
        typeof index !== 'number' ||
        !NOT_A_PRODUCT.has(error.extensions?.code ?? '')
      ) {
        throw new CatalogError(`products subgraph failed: ${error.message}`);
      }
      missing.add(index);
    }
    return entities.map((entity, i) => {
      if (missing.has(i) || entity === null) return null;
      if (!isCatalogProduct(entity)) {
        throw new CatalogError(`products subgraph returned a malformed product for ${ids[i]}`);
      }
      return {
        id: entity.id,
        name: entity.name,
        price: { amount: entity.price.amount, currency: entity.price.currency },
        stock: entity.stock,
      };
    });
  }
}

function isCatalogProduct(value: unknown): value is CatalogProduct {
  const p = value as Partial<CatalogProduct> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.id === 'string' &&
    typeof p.name === 'string' &&
    Number.isSafeInteger(p.stock) &&
    typeof p.price === 'object' &&
    p.price !== null &&
    Number.isSafeInteger(p.price.amount) &&
    typeof p.price.currency === 'string'
  );
}
