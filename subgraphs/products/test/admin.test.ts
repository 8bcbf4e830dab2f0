// The back office: ADMIN-only mutations, their validation and who may call them.
import { errorCodes } from '@shop/test-harness';
import { clientFor } from './support/client';
import {
  ADJUST_STOCK,
  CREATE_CATEGORY,
  CREATE_PRODUCT,
  DELETE_PRODUCT,
  newProduct,
  PRODUCT,
  PRODUCTS,
  UPDATE_PRODUCT,
} from './support/operations';
import { startProductsFixture, type ProductsFixture } from './support/products-service';

let fx: ProductsFixture;
let client: ReturnType<typeof clientFor>;
beforeAll(async () => {
  fx = await startProductsFixture();
  client = clientFor(fx);
});
afterAll(() => fx.stop());

const errorOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  res.errors?.[0]?.extensions;

describe('createProduct', () => {
  it('creates a product that a customer then finds', async () => {
    const category = await client.createCategory({ name: 'Garden' });
    const res = await client.asAdmin(CREATE_PRODUCT, {
      input: {
        sku: 'gd-hose-25',
        name: '  Garden   Hose 25 m ',
        description: 'Flexible, kink-free.',
        price: { amount: 2999, currency: 'eur' },
        categoryId: category.id,
        stock: 12,
        attributes: [{ name: 'length', value: '25 m' }],
        images: ['https://img.shop.test/hose.jpg'],
      },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createProduct).toMatchObject({
      sku: 'GD-HOSE-25',
      name: 'Garden Hose 25 m',
      price: { amount: 2999, currency: 'EUR' },
      stock: 12,
      inStock: true,
      active: true,
      category: { id: category.id, name: 'Garden' },
      attributes: [{ name: 'length', value: '25 m' }],
      images: ['https://img.shop.test/hose.jpg'],
      deletedAt: null,
    });

    const customer = client.tokens.userToken();
    const found = await client.call(PRODUCTS, { filter: { search: 'hose' } }, customer);
    expect(found.data!.products.edges.map((e: any) => e.node.id)).toEqual([
      res.data!.createProduct.id,
    ]);
    const one = await client.call(PRODUCT, { id: res.data!.createProduct.id });
    expect(one.data!.product.name).toBe('Garden Hose 25 m');
  });

  it.each([
    ['sku', { sku: '' }],
    ['name', { name: '   ' }],
    ['price.amount', { price: { amount: 0, currency: 'EUR' } }],
    ['price.amount', { price: { amount: -5, currency: 'EUR' } }],
    ['price.currency', { price: { amount: 100, currency: 'ABC' } }],
    ['stock', { stock: -1 }],
    ['categoryId', { categoryId: 'ffffffffffffffffffffffff' }],
    ['categoryId', { categoryId: 'not-an-id' }],
  ])('refuses a bad %s with BAD_USER_INPUT naming the field', async (field, override) => {
    const res = await client.asAdmin(CREATE_PRODUCT, { input: newProduct(override) });
    expect(res.data).toBeNull();
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses a price that is not a whole number before it reaches the resolver', async () => {
    const res = await client.asAdmin(CREATE_PRODUCT, {
      input: newProduct({ price: { amount: 19.99, currency: 'EUR' } }),
    });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a duplicate sku, whatever its case, with CONFLICT', async () => {
    await client.createProduct({ sku: 'DUP-1' });
    const res = await client.asAdmin(CREATE_PRODUCT, { input: newProduct({ sku: 'dup-1' }) });
    expect(errorOf(res)).toEqual({ code: 'CONFLICT', field: 'sku' });
  });
});

describe('who may change the catalog', () => {
  const input = () => newProduct();

  it('customers get FORBIDDEN', async () => {
    const customer = client.tokens.userToken();
    const product = await client.createProduct();
    const calls = [
      client.call(CREATE_PRODUCT, { input: input() }, customer),
      client.call(UPDATE_PRODUCT, { id: product.id, input: { name: 'x' } }, customer),
      client.call(DELETE_PRODUCT, { id: product.id }, customer),
      client.call(ADJUST_STOCK, { productId: product.id, delta: 1 }, customer),
      client.call(CREATE_CATEGORY, { input: { name: 'Nope' } }, customer),
    ];
    for (const res of await Promise.all(calls)) expect(errorCodes(res)).toEqual(['FORBIDDEN']);
  });

  it('service tokens get FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
    const service = client.tokens.serviceToken('orders-service', ['products:reserve']);
    expect(errorCodes(await client.call(CREATE_PRODUCT, { input: input() }, service))).toEqual([
      'FORBIDDEN',
    ]);
    expect(errorCodes(await client.call(CREATE_PRODUCT, { input: input() }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('a token the JWKS does not vouch for is refused, not downgraded to anonymous', async () => {
    const res = await client.call(PRODUCTS, {}, client.tokens.foreignToken());
    expect(res.status).toBe(401);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('updateProduct', () => {
  it('changes the given fields only, and the search follows', async () => {
    const product = await client.createProduct({ name: 'Old Name', stock: 4 });
    const res = await client.asAdmin(UPDATE_PRODUCT, {
      id: product.id,
      input: { name: 'Shiny Lantern', price: { amount: 4500, currency: 'USD' } },
    });
    expect(res.data!.updateProduct).toMatchObject({
      name: 'Shiny Lantern',
      sku: product.sku,
      price: { amount: 4500, currency: 'USD' },
      stock: 4,
    });
    const found = await client.call(PRODUCTS, { filter: { search: 'lantern' } });
    expect(found.data!.products.edges.map((e: any) => e.node.id)).toEqual([product.id]);
  });

  it('validates like createProduct', async () => {
    const product = await client.createProduct();
    const other = await client.createProduct();
    const bad = [
      [{ price: { amount: 0, currency: 'EUR' } }, 'BAD_USER_INPUT', 'price.amount'],
      [{ name: null }, 'BAD_USER_INPUT', 'name'],
      [{ categoryId: 'ffffffffffffffffffffffff' }, 'BAD_USER_INPUT', 'categoryId'],
      [{ sku: other.sku }, 'CONFLICT', 'sku'],
    ] as const;
    for (const [input, code, field] of bad) {
      const res = await client.asAdmin(UPDATE_PRODUCT, { id: product.id, input });
      expect(errorOf(res)).toEqual({ code, field });
    }
  });

  it('answers NOT_FOUND for an unknown product', async () => {
    const res = await client.asAdmin(UPDATE_PRODUCT, {
      id: 'ffffffffffffffffffffffff',
      input: { name: 'x' },
    });
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });

  it('deactivating hides a product from customers', async () => {
    const product = await client.createProduct();
    await client.asAdmin(UPDATE_PRODUCT, { id: product.id, input: { active: false } });
    expect((await client.call(PRODUCT, { id: product.id })).data!.product).toBeNull();
    expect((await client.asAdmin(PRODUCT, { id: product.id })).data!.product.active).toBe(false);
  });
});

describe('deleteProduct', () => {
  it('hides the product from listings and look-ups and frees its sku', async () => {
    const product = await client.createProduct({ sku: 'GONE-1', name: 'Vanishing Vase' });
    const res = await client.asAdmin(DELETE_PRODUCT, { id: product.id });
    expect(res.data!.deleteProduct).toBe(true);

    for (const token of [undefined, client.tokens.userToken(), client.tokens.adminToken()]) {
      const list = await client.call(PRODUCTS, { filter: { search: 'vanishing' } }, token);
      expect(list.data!.products.totalCount).toBe(0);
    }
    expect((await client.call(PRODUCT, { id: product.id })).data!.product).toBeNull();
    // The back office still resolves it (orders refer to it), marked as deleted.
    const admin = await client.asAdmin(PRODUCT, { id: product.id });
    expect(admin.data!.product).toMatchObject({ sku: 'GONE-1', deletedAt: expect.any(String) });

    // The sku is free for a new product; deleting twice is NOT_FOUND.
    expect((await client.createProduct({ sku: 'GONE-1' })).sku).toBe('GONE-1');
    expect(errorCodes(await client.asAdmin(DELETE_PRODUCT, { id: product.id }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(
      errorCodes(await client.asAdmin(UPDATE_PRODUCT, { id: product.id, input: { name: 'x' } })),
    ).toEqual(['NOT_FOUND']);
  });
});

describe('adjustStock', () => {
  it('adds and removes units, never below zero', async () => {
    const product = await client.createProduct({ stock: 3 });
    const up = await client.asAdmin(ADJUST_STOCK, { productId: product.id, delta: 7 });
    expect(up.data!.adjustStock).toEqual({ id: product.id, stock: 10, inStock: true });
    const down = await client.asAdmin(ADJUST_STOCK, { productId: product.id, delta: -10 });
    expect(down.data!.adjustStock).toEqual({ id: product.id, stock: 0, inStock: false });
    const below = await client.asAdmin(ADJUST_STOCK, { productId: product.id, delta: -1 });
    expect(errorOf(below)).toEqual({ code: 'BAD_USER_INPUT', field: 'delta' });
    expect((await client.asAdmin(PRODUCT, { id: product.id })).data!.product.stock).toBe(0);
  });

  it('answers NOT_FOUND for an unknown product', async () => {
    const res = await client.asAdmin(ADJUST_STOCK, {
      productId: 'ffffffffffffffffffffffff',
      delta: 1,
    });
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('createCategory', () => {
  it('derives a unique slug and refuses a duplicate with CONFLICT', async () => {
    const created = await client.asAdmin(CREATE_CATEGORY, { input: { name: 'Toys & Games' } });
    expect(created.data!.createCategory).toMatchObject({ slug: 'toys-games', parent: null });
    const duplicate = await client.asAdmin(CREATE_CATEGORY, { input: { name: 'Toys  Games' } });
    expect(errorOf(duplicate)).toEqual({ code: 'CONFLICT', field: 'slug' });
  });

  it('refuses an empty name and an unknown parent', async () => {
    const empty = await client.asAdmin(CREATE_CATEGORY, { input: { name: ' ' } });
    expect(errorOf(empty)).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    const orphan = await client.asAdmin(CREATE_CATEGORY, {
      input: { name: 'Orphan', parentId: 'ffffffffffffffffffffffff' },
    });
    expect(errorOf(orphan)).toEqual({ code: 'BAD_USER_INPUT', field: 'parentId' });
  });
});
