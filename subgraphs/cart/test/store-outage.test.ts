// The catalog's store down: the real products subgraph reaches MongoDB through a TCP relay
// this file closes, while the cart keeps Redis. A cart change cannot be priced then, so it
// must fail fast with SERVICE_UNAVAILABLE (retryable) and write nothing, and work again
// once the store is back.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  graphql,
  TEST_MONGODB_URL,
  TEST_REDIS_URL,
  startTcpProxy,
  waitFor,
  type TcpProxy,
  type TokenIssuer,
} from '@shop/test-harness';
import { clientFor, startProductsFixture, type ProductsFixture } from '@shop/products/testing';
import { expectError, ok } from './support/assert';
import { startCartFixture, type CartFixture } from './support/cart-service';
import { ADD, CART } from './support/operations';

let mongo: TcpProxy;
let products: ProductsFixture;
let tokens: TokenIssuer;
let cart: CartFixture;
let redis: Redis;

beforeAll(async () => {
  const { hostname, port } = new URL(TEST_MONGODB_URL);
  mongo = await startTcpProxy({ host: hostname, port: Number(port || 27017) });
  products = await startProductsFixture({
    // A short server selection: "fast" is then proven with a wide margin (old: 5 s).
    env: { MONGODB_URL: `mongodb://127.0.0.1:${mongo.port}/?serverSelectionTimeoutMS=300` },
  });
  tokens = products.tokens!;
  cart = await startCartFixture({
    PRODUCTS_URL: products.service.url,
    JWKS_URL: tokens.jwksUrl,
    JWT_ISSUER: tokens.issuer,
    JWT_AUDIENCE: tokens.audience,
  });
  redis = new Redis(TEST_REDIS_URL);
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await cart?.stop();
  await mongo?.reopen().catch(() => undefined); // products drops its database on stop
  await products?.stop();
  await mongo?.close();
}, 60_000);

const call = (
  query: string,
  variables: Record<string, unknown>,
  { token, cartId }: { token?: string; cartId?: string } = {},
) =>
  graphql<Record<string, any>>(cart.service.url, query, variables, {
    token,
    headers: cartId ? { 'x-cart-id': cartId } : {},
  });

it('addToCart fails within 3 s with SERVICE_UNAVAILABLE, writes nothing, and works once the store is back', async () => {
  const product = await clientFor(products).createProduct({ stock: 50 });
  const userId = randomUUID();
  const token = tokens.userToken({ sub: userId });
  const userKey = `${cart.prefix}user:${userId}`;
  ok(await call(ADD, { productId: product.id, quantity: 1 }, { token }));
  const guestId = ok(await call(ADD, { productId: product.id, quantity: 2 })).addToCart.id;
  const guestKey = `${cart.prefix}guest:${guestId}`;
  const before = { user: await redis.hgetall(userKey), guest: await redis.hgetall(guestKey) };

  // Once products' driver has seen the store go, every command waits for a server to
  // select: that wait, not the first refused connection, is what used to take 5 s.
  const noticed = new Promise((resolve) =>
    products.service.connection.once('disconnected', resolve),
  );
  await mongo.close();
  try {
    await noticed;
    for (const [who, options] of [
      ['user', { token }],
      ['guest', { cartId: guestId }],
    ] as const) {
      const started = Date.now();
      const res = await call(ADD, { productId: product.id, quantity: 1 }, options);
      const took = Date.now() - started;
      expectError(res, 'SERVICE_UNAVAILABLE', { retryable: true });
      expect(res.errors![0]!.message).toBe(
        'The product catalog is unavailable, so the cart cannot be priced. Nothing was changed; try again shortly.',
      );
      expect({ who, took: took < 3_000 }).toEqual({ who, took: true });
    }
    expect(await redis.hgetall(userKey)).toEqual(before.user);
    expect(await redis.hgetall(guestKey)).toEqual(before.guest);
  } finally {
    await mongo.reopen();
  }

  // The driver reconnects on its own: the same add goes through once the store is back.
  const added = await waitFor(
    async () => {
      const res = await call(ADD, { productId: product.id, quantity: 1 }, { token });
      return res.errors ? undefined : res.data!.addToCart;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: 'the catalog to answer again' },
  );
  expect(added.items[0].quantity).toBe(2);
  expect(ok(await call(CART, {}, { cartId: guestId })).cart.itemCount).toBe(2);
}, 60_000);
