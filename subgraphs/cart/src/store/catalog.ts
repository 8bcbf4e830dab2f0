import { ServiceUnavailableError } from '@shop/errors';
import { SubgraphClient, UpstreamUnavailableError } from '@shop/subgraph-client';
import type { CatalogProduct } from '../domain/cart';

/**
 * The products subgraph answered a product the cart cannot use (a malformed one): a bug
 * somewhere, masked as INTERNAL_SERVER_ERROR for the client and logged with this message.
 */
export class CatalogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/**
 * The products subgraph is down, did not answer in time, said its own store is down
 * (SERVICE_UNAVAILABLE) or answered nothing usable. Carts are never shown without prices,
 * so the operation fails with SERVICE_UNAVAILABLE (retryable) before anything is written;
 * `detail` says what happened, for the log.
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

/**
 * Reads current prices and stock from the products subgraph, through the federation
 * `_entities` query sent straight to the subgraph (internal network; the router would add
 * a hop and its own planning for nothing). No data of the catalog is ever copied into the
 * cart's store. Calls go anonymously on purpose: products hides deleted and inactive
 * products from non-admin callers, and a cart must not hold them even for an admin.
 */
export class ProductCatalog {
  // Keep-alive pool: every cart request makes one call here.
  private readonly client: SubgraphClient;

  constructor(options: { url: string; timeoutMs: number }) {
    this.client = new SubgraphClient({ name: 'products subgraph', ...options });
  }

  /**
   * Products by id, in the order asked, with one HTTP request for all of them; null where
   * the catalog has no such (active) product.
   */
  async findByIds(ids: readonly string[], requestId?: string): Promise<(CatalogProduct | null)[]> {
    let entities: unknown[];
    try {
      entities = await this.client.entities<unknown>(
        PRODUCTS_QUERY,
        ids.map((id) => ({ __typename: 'Product', id })),
        { requestId },
      );
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) {
        throw new CatalogUnavailableError(error.message);
      }
      throw error;
    }
    return entities.map((entity, i) => {
      if (entity === null) return null;
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

  close(): Promise<void> {
    return this.client.close();
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
