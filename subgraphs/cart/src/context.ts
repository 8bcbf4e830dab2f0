import DataLoader from 'dataloader';
import { CART_ID_HEADER } from '@shop/auth';
import type { BaseContext, ContextRequest } from '@shop/subgraph-kit';
import type { CartRef } from './services/cart-service';
import type { CatalogProduct } from './domain/cart';
import { CatalogUnavailableError, type ProductCatalog } from './store/catalog';

export interface Loaders {
  /**
   * Every product look-up of one request (the cart's lines, the product being added, a
   * guest cart being merged) goes out as one `_entities` call to the products subgraph.
   */
  product: DataLoader<string, CatalogProduct | null>;
}

export interface Context extends BaseContext {
  loaders: Loaders;
  /** The raw `x-cart-id` request header; CartService parses it when it needs the cart. */
  cartIdHeader?: string;
  /** Whose cart this request works on; resolved once per request (CartService.cartOf). */
  cart?: Promise<CartRef>;
}

export function createLoaders(catalog: ProductCatalog, base: BaseContext): Loaders {
  return {
    product: new DataLoader(async (ids) => {
      try {
        return await catalog.findByIds(ids, base.requestId);
      } catch (error) {
        // The client sees SERVICE_UNAVAILABLE (or a masked INTERNAL_SERVER_ERROR); the
        // log keeps what products actually did.
        if (error instanceof CatalogUnavailableError) {
          base.log.warn({ detail: error.detail }, 'products look-up failed: catalog unavailable');
        }
        throw error;
      }
    }),
  };
}

export function createContext(
  base: BaseContext,
  { headers }: ContextRequest,
  catalog: ProductCatalog,
): Context {
  const cartId = headers[CART_ID_HEADER];
  return {
    ...base,
    loaders: createLoaders(catalog, base),
    // Node joins a repeated x- header into one string; only set-cookie comes as an array.
    cartIdHeader: Array.isArray(cartId) ? cartId.join(', ') : cartId,
  };
}
