// Browsing the catalog and filling a cart, as a storefront and a back office do it: every
// operation through the router, against real MongoDB-compatible storage and Redis.
import { errorCodes, fixtureForFile, graphql } from '@shop/test-harness';
import { ADD, CART, CLEAR, REMOVE, UPDATE } from '@shop/cart/testing';
import {
  ADJUST_STOCK,
  CREATE_CATEGORY,
  CREATE_PRODUCT,
  newProduct,
  PRODUCTS,
  UPDATE_PRODUCT,
} from '@shop/products/testing';
import { ADMIN, LOGIN, newCustomer, REGISTER } from '@shop/users/testing';
import { startPlatform } from '../src/platform';

const platform = fixtureForFile(() => startPlatform());
let admin: string;
let customer: string;
let phones: string;
let electronics: string;

const call = (
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers?: Record<string, string>,
) => graphql<Record<string, any>>(platform.url, query, variables, { token, headers });

async function createProduct(overrides: Record<string, unknown> = {}) {
  const res = await call(CREATE_PRODUCT, { input: newProduct(overrides) }, admin);
  expect(res.errors).toBeUndefined();
  return res.data!.createProduct as { id: string; sku: string; name: string };
}

beforeAll(async () => {
  admin = (await call(LOGIN, ADMIN)).data!.login.accessToken;
  customer = (await call(REGISTER, { input: newCustomer() })).data!.register.accessToken;
  electronics = (await call(CREATE_CATEGORY, { input: { name: 'Electronics' } }, admin)).data!
    .createCategory.id;
  phones = (
    await call(CREATE_CATEGORY, { input: { name: 'Phones', parentId: electronics } }, admin)
  ).data!.createCategory.id;
}, 60_000);

describe('catalog', () => {
  it('an admin creates a product that customers then find by search and category', async () => {
    const product = await createProduct({
      name: 'Lumen Phone X',
      categoryId: phones,
      price: { amount: 49900, currency: 'EUR' },
    });
    const bySearch = await call(PRODUCTS, { filter: { search: 'lumen phone' } }, customer);
    expect(bySearch.data!.products.edges.map((e: any) => e.node.id)).toEqual([product.id]);
    // A parent category includes its sub-categories.
    const byCategory = await call(PRODUCTS, { filter: { categoryId: electronics } });
    expect(byCategory.data!.products.edges.map((e: any) => e.node.sku)).toContain(product.sku);
  });

  it('pages through a filtered list with cursors, each product exactly once', async () => {
    const mark = `Pager${Date.now()}`;
    const created = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        await createProduct({ name: `${mark} ${i}`, price: { amount: 1000 + i, currency: 'EUR' } }),
      );
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await call(PRODUCTS, {
        filter: { search: mark, minPrice: 1001, inStock: true },
        first: 2,
        after,
      });
      expect(res.data.products.totalCount).toBe(4);
      seen.push(...res.data.products.edges.map((e: any) => e.node.id));
      if (!res.data.products.pageInfo.hasNextPage) break;
      after = res.data.products.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual(
      created
        .slice(1)
        .map((p) => p.id)
        .sort(),
    );
  });

  it('refuses admin mutations to customers and anonymous callers', async () => {
    expect(errorCodes(await call(CREATE_PRODUCT, { input: newProduct() }, customer))).toEqual([
      'FORBIDDEN',
    ]);
    expect(errorCodes(await call(CREATE_PRODUCT, { input: newProduct() }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('names the field of a bad input and refuses a duplicate sku', async () => {
    const bad = await call(
      CREATE_PRODUCT,
      { input: newProduct({ price: { amount: 0, currency: 'EUR' } }) },
      admin,
    );
    expect(bad.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'price.amount',
    });
    const existing = await createProduct();
    const duplicate = await call(
      CREATE_PRODUCT,
      { input: newProduct({ sku: existing.sku }) },
      admin,
    );
    expect(errorCodes(duplicate)).toEqual(['CONFLICT']);
  });

  it('hides the internal stock reservation operations from the public graph', async () => {
    const res = await call(
      `mutation { reserveStock(orderId: "o1", lines: []) { orderId } }`,
      {},
      admin,
    );
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('cart', () => {
  it('adds products, reads totals from current prices, and resolves any Product field', async () => {
    const token = (await call(REGISTER, { input: newCustomer() })).data!.register.accessToken;
    const lamp = await createProduct({
      name: 'Desk Lamp',
      price: { amount: 2500, currency: 'EUR' },
      stock: 5,
      categoryId: phones,
    });
    const cable = await createProduct({
      name: 'USB Cable',
      price: { amount: 799, currency: 'EUR' },
      stock: 50,
    });

    await call(ADD, { productId: lamp.id, quantity: 2 }, token);
    const added = await call(
      `mutation($id: ID!) { addToCart(productId: $id, quantity: 3) {
        itemCount subtotal { amount currency }
        items { quantity unitPrice { amount } lineTotal { amount } product { name sku category { name } } }
      } }`,
      { id: cable.id },
      token,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.addToCart).toEqual({
      itemCount: 5,
      subtotal: { amount: 2 * 2500 + 3 * 799, currency: 'EUR' },
      items: [
        {
          quantity: 2,
          unitPrice: { amount: 2500 },
          lineTotal: { amount: 5000 },
          product: { name: 'Desk Lamp', sku: lamp.sku, category: { name: 'Phones' } },
        },
        {
          quantity: 3,
          unitPrice: { amount: 799 },
          lineTotal: { amount: 2397 },
          product: { name: 'USB Cable', sku: cable.sku, category: null },
        },
      ],
    });

    // A price change in the catalog shows in the cart at once.
    await call(
      UPDATE_PRODUCT,
      { id: lamp.id, input: { price: { amount: 2000, currency: 'EUR' } } },
      admin,
    );
    expect((await call(CART, {}, token)).data!.cart.subtotal.amount).toBe(2 * 2000 + 3 * 799);

    await call(UPDATE, { productId: cable.id, quantity: 0 }, token);
    const afterRemove = await call(REMOVE, { productId: lamp.id }, token);
    expect(afterRemove.data!.removeFromCart).toMatchObject({
      itemCount: 0,
      items: [],
      subtotal: { amount: 0 },
    });
  });

  it('refuses bad quantities, unknown products and more than the stock, changing nothing', async () => {
    const token = (await call(REGISTER, { input: newCustomer() })).data!.register.accessToken;
    const scarce = await createProduct({ stock: 10 });
    await call(ADJUST_STOCK, { productId: scarce.id, delta: -8 }, admin);

    const zero = await call(ADD, { productId: scarce.id, quantity: 0 }, token);
    expect(zero.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'quantity',
    });
    expect(errorCodes(await call(ADD, { productId: scarce.id, quantity: 100 }, token))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      errorCodes(await call(ADD, { productId: '000000000000000000000000', quantity: 1 }, token)),
    ).toEqual(['NOT_FOUND']);
    const tooMany = await call(ADD, { productId: scarce.id, quantity: 3 }, token);
    expect(tooMany.errors![0]!.extensions).toMatchObject({ code: 'OUT_OF_STOCK', available: 2 });
    expect((await call(CART, {}, token)).data!.cart.items).toEqual([]);
  });

  it('keeps a guest cart by x-cart-id and merges it into the account on sign-in', async () => {
    const product = await createProduct({ stock: 20 });
    const guest = await call(ADD, { productId: product.id, quantity: 2 });
    const cartId = guest.data!.addToCart.id as string;
    const again = await call(CART, {}, undefined, { 'x-cart-id': cartId });
    expect(again.data!.cart).toMatchObject({ id: cartId, itemCount: 2 });

    const input = newCustomer();
    await call(REGISTER, { input });
    const token = (await call(LOGIN, { email: input.email, password: input.password })).data!.login
      .accessToken;
    const merged = await call(CART, {}, token, { 'x-cart-id': cartId });
    expect(merged.data!.cart.itemCount).toBe(2);
    expect(merged.data!.cart.id).not.toBe(cartId);
    // The guest cart is gone: its id now gives a fresh, empty cart.
    const stale = await call(CART, {}, undefined, { 'x-cart-id': cartId });
    expect(stale.data!.cart).toMatchObject({ itemCount: 0 });
    expect(stale.data!.cart.id).not.toBe(cartId);
    await call(CLEAR, {}, token);
  });

  it('answers an empty cart as a normal result', async () => {
    const res = await call(CART, {}, customer);
    expect(res.errors).toBeUndefined();
    expect(res.data!.cart).toMatchObject({
      items: [],
      itemCount: 0,
      subtotal: { amount: 0, currency: 'EUR' },
    });
  });
});
