import DataLoader from 'dataloader';
import type { ApolloServerPlugin } from '@apollo/server';
import type { BaseContext } from '@shop/subgraph-kit';
import { CART_ID_HEADER } from './domain/cart-id';
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
  /** The raw `x-cart-id` request header (see cartIdHeaderPlugin). */
  cartIdHeader?: string;
  /** Whose cart this request works on; resolved once per request (CartService.cartOf). */
  cart?: Promise<CartRef>;
}

export function createLoaders(catalog: ProductCatalog, requestId: string): Loaders {
  return {
    product: new DataLoader((ids) => catalog.findByIds(ids, requestId)),
  };
}

/**
 * Copies the `x-cart-id` header into the context. subgraph-kit builds the context from the
 * verified identity only and does not hand the HTTP request to it, but Apollo Server gives
 * plugins the request headers before any resolver runs.
 */
export const cartIdHeaderPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart({ request, contextValue }) {
    contextValue.cartIdHeader = request.http?.headers.get(CART_ID_HEADER);
  },
};
