import DataLoader from 'dataloader';
import { CART_ID_HEADER } from '@shop/auth';
import type { BaseContext, ContextRequest } from '@shop/subgraph-kit';
import type { CartRef } from './domain/cart-service';
import type { CatalogProduct } from './domain/cart';
import type { ProductCatalog } from './store/catalog';

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

export function createLoaders(catalog: ProductCatalog, requestId: string): Loaders {
  return {
    product: new DataLoader((ids) => catalog.findByIds(ids, requestId)),
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
    loaders: createLoaders(catalog, base.requestId),
    // Node joins a repeated x- header into one string; only set-cookie comes as an array.
    cartIdHeader: Array.isArray(cartId) ? cartId.join(', ') : cartId,
  };
}
