import Redis from 'ioredis';
import {
  graphql,
  TEST_REDIS_URL,
  type GraphQLResponse,
  type TokenIssuer,
} from '@shop/test-harness';
import {
  ADJUST_STOCK,
  clientFor,
  DELETE_PRODUCT,
  startProductsFixture,
  UPDATE_PRODUCT,
  type ProductsFixture,
} from '@shop/products/testing';
import { startCartFixture, type CartFixture } from './cart-service';
import { startCountingProxy, type CountingProxy } from './counting-proxy';

export interface CallOptions {
  token?: string;
  /** Sent as the `x-cart-id` header. */
  cartId?: string;
}

/**
 * The real products subgraph (its own test database and token issuer), a counting proxy in
 * front of it, and the cart service calling products through that proxy and accepting the
 * same issuer's tokens.
 */
export interface CartStack {
  cart: CartFixture;
  products: ProductsFixture;
  tokens: TokenIssuer;
  /** Every request the cart service made to products. */
  productCalls: CountingProxy;
  /** A Redis client, for looking at what the cart service stored. */
  redis: Redis;
  /** Sends an operation to the cart subgraph. */
  call(
    query: string,
    variables?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<GraphQLResponse<Record<string, any>>>;
  /** A product created by an ADMIN in the catalog. */
  createProduct(overrides?: {
    name?: string;
    price?: { amount: number; currency: string };
    stock?: number;
  }): Promise<{ id: string; name: string }>;
  updateProduct(id: string, input: Record<string, unknown>): Promise<void>;
  deleteProduct(id: string): Promise<void>;
  adjustStock(id: string, delta: number): Promise<void>;
  /** The Redis key of a signed-in user's cart. */
  userKey(userId: string): string;
  guestKey(cartId: string): string;
  stop(): Promise<void>;
}

export async function startCartStack(cartEnv: Record<string, string> = {}): Promise<CartStack> {
  const products = await startProductsFixture();
  const tokens = products.tokens!;
  const catalog = clientFor(products);
  const productCalls = await startCountingProxy(products.service.url);
  const cart = await startCartFixture({
    PRODUCTS_URL: productCalls.url,
    JWKS_URL: tokens.jwksUrl,
    JWT_ISSUER: tokens.issuer,
    JWT_AUDIENCE: tokens.audience,
    ...cartEnv,
  });
  const redis = new Redis(TEST_REDIS_URL);

  const asAdmin = async (query: string, variables: Record<string, unknown>) => {
    const res = await catalog.asAdmin(query, variables);
    if (res.errors) throw new Error(`products refused: ${JSON.stringify(res.errors)}`);
  };

  return {
    cart,
    products,
    tokens,
    productCalls,
    redis,
    call: (query, variables = {}, { token, cartId } = {}) =>
      graphql<Record<string, any>>(cart.service.url, query, variables, {
        token,
        headers: cartId === undefined ? {} : { 'x-cart-id': cartId },
      }),
    createProduct: (overrides = {}) => catalog.createProduct(overrides),
    updateProduct: (id, input) => asAdmin(UPDATE_PRODUCT, { id, input }),
    deleteProduct: (id) => asAdmin(DELETE_PRODUCT, { id }),
    adjustStock: (id, delta) => asAdmin(ADJUST_STOCK, { productId: id, delta }),
    userKey: (userId) => `${cart.prefix}user:${userId}`,
    guestKey: (cartId) => `${cart.prefix}guest:${cartId}`,
    stop: async () => {
      redis.disconnect();
      await cart.stop();
      await productCalls.stop();
      await products.stop();
    },
  };
}
