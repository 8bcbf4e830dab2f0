// The cart in the graph: composed with the real products subgraph and served by the real
// router, which forwards `x-cart-id` and completes CartItem.product from products.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createLogger } from '@shop/logging';
import { graphql } from '@shop/test-harness';
import { loadRouterConfig } from '../../../router/src/config';
import { startRouter, type RunningRouter } from '../../../router/src/server';
import { typeDefs as cartTypeDefs } from '../src/server';
import { ok } from './support/assert';
import { startCartStack, type CartStack } from './support/stack';

const productsTypeDefs = parse(
  readFileSync(path.join(__dirname, '../../products/src/schema.graphql'), 'utf8'),
);

let stack: CartStack;
let router: RunningRouter;
let workDir: string;

beforeAll(async () => {
  stack = await startCartStack();
  const composed = composeServices([
    { name: 'products', url: stack.products.service.url, typeDefs: productsTypeDefs },
    { name: 'cart', url: stack.cart.service.url, typeDefs: cartTypeDefs },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  workDir = mkdtempSync(path.join(tmpdir(), 'cart-supergraph-'));
  const supergraphPath = path.join(workDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);
  router = await startRouter(
    loadRouterConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ROUTER_PORT: '0',
      SUPERGRAPH_PATH: supergraphPath,
      JWKS_URL: stack.tokens.jwksUrl,
      JWT_ISSUER: stack.tokens.issuer,
      JWT_AUDIENCE: stack.tokens.audience,
    }),
    createLogger('router', 'silent'),
  );
}, 60_000);
afterAll(async () => {
  await router?.stop();
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const CART_WITH_PRODUCTS = `id itemCount subtotal { amount currency }
  items { quantity lineTotal { amount } product { id sku name description stock price { amount currency } } }`;

function throughRouter(
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; cartId?: string } = {},
) {
  return graphql<Record<string, any>>(router.url, query, variables, {
    token: options.token,
    headers: options.cartId ? { 'x-cart-id': options.cartId } : {},
  });
}

describe('composition', () => {
  it('with users and products: no errors, and no hints about the cart', () => {
    const sdl = (name: string) =>
      parse(readFileSync(path.join(__dirname, `../../${name}/src/schema.graphql`), 'utf8'));
    const result = composeServices(
      ['users', 'products', 'cart'].map((name) => ({
        name,
        url: `http://${name}/graphql`,
        typeDefs: sdl(name),
      })),
    );
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map((h) => h.message).filter((m) => m.includes('"cart"'))).toEqual(
      [],
    );
  });
});

describe('through the router', () => {
  it('composes with products and resolves any Product field of a cart line', async () => {
    const p = await stack.createProduct({
      name: 'Espresso cup',
      price: { amount: 1250, currency: 'EUR' },
      stock: 7,
    });
    const added = ok(
      await throughRouter(
        `mutation($id: ID!) { addToCart(productId: $id, quantity: 2) { ${CART_WITH_PRODUCTS} } }`,
        { id: p.id },
      ),
    ).addToCart;
    expect(added.items).toEqual([
      {
        quantity: 2,
        lineTotal: { amount: 2500 },
        product: expect.objectContaining({
          id: p.id,
          name: 'Espresso cup',
          stock: 7,
          price: { amount: 1250, currency: 'EUR' },
        }),
      },
    ]);

    // The guest keeps the cart by sending its id back: the router forwards x-cart-id.
    const again = ok(
      await throughRouter(`{ cart { ${CART_WITH_PRODUCTS} } }`, {}, { cartId: added.id }),
    ).cart;
    expect(again).toEqual(added);
  });

  it('merges the guest cart on the first signed-in request', async () => {
    const p = await stack.createProduct({ stock: 9 });
    const guest = ok(
      await throughRouter(`mutation($id: ID!) { addToCart(productId: $id, quantity: 3) { id } }`, {
        id: p.id,
      }),
    ).addToCart;
    const token = stack.tokens.userToken();
    const cart = ok(
      await throughRouter(`{ cart { ${CART_WITH_PRODUCTS} } }`, {}, { token, cartId: guest.id }),
    ).cart;
    expect(cart.id).not.toBe(guest.id);
    expect(cart.items.map((i: any) => [i.product.id, i.quantity])).toEqual([[p.id, 3]]);
  });
});
