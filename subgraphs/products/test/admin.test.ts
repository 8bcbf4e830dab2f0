// The back office: ADMIN-only mutations, their validation and who may call them.
import { MAX_UNIT_PRICE } from '@shop/money';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { clientFor } from './support/client';
import {
  ADJUST_STOCK,
  CREATE_CATEGORY,
  CREATE_PRODUCT,
  DELETE_PRODUCT,
  newProduct,
  PRODUCT,
  PRODUCTS,
  UPDATE_CATEGORY,
  UPDATE_PRODUCT,
} from './support/operations';
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());
let client: ReturnType<typeof clientFor>;
beforeAll(() => {
  client = clientFor(fx);
});

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

// Input that must be refused whole: text no store or screen should hold, prices beyond
// what carts and orders can add up.
type Response = { status: number; data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const errorsOf = (res: Response) => res.errors?.map((e) => e.extensions);

/** Rows in the service's own database, read directly: "nothing written" is checked there. */
const stored = (collection: 'products' | 'categories', filter: Record<string, unknown>) =>
  fx.service.connection.db!.collection(collection).countDocuments(filter);

describe('display text', () => {
  it.each([
    ['name', { name: 'Kettle\nFREE SHIPPING' }],
    ['name', { name: 'Invoice \u202Efdp.exe' }],
    ['description', { description: 'Quiet.\u001B[2J' }],
    ['attributes', { attributes: [{ name: 'colour', value: 'red\r\nsize: XL' }] }],
    ['sku', { sku: 'AB\u202E01' }],
  ])('createProduct refuses control characters in %s, writing nothing', async (field, override) => {
    const input = newProduct(override);
    const res = await client.asAdmin(CREATE_PRODUCT, { input });
    expect(res.data).toBeNull();
    expect(errorsOf(res)).toEqual([{ code: 'BAD_USER_INPUT', field }]);
    expect(res.errors![0]!.message).toMatch(field);
    expect(await stored('products', { sku: input.sku.toUpperCase() })).toBe(0);
  });

  it('updateProduct refuses a direction override in the name and keeps the old one', async () => {
    const product = await client.createProduct({ name: 'Plain Lamp' });
    const res = await client.asAdmin(UPDATE_PRODUCT, {
      id: product.id,
      input: { name: 'Lamp \u2067pmaL\u2069', description: 'New text' },
    });
    expect(errorsOf(res)).toEqual([{ code: 'BAD_USER_INPUT', field: 'name' }]);
    const after = await client.asAdmin(PRODUCT, { id: product.id });
    expect(after.data!.product.name).toBe('Plain Lamp');
    expect(after.data!.product.description).not.toBe('New text');
  });

  it('createCategory and updateCategory refuse control characters in the name', async () => {
    const before = await stored('categories', {});
    const created = await client.asAdmin(CREATE_CATEGORY, { input: { name: 'Garden\r\nTools' } });
    expect(errorsOf(created)).toEqual([{ code: 'BAD_USER_INPUT', field: 'name' }]);
    expect(await stored('categories', {})).toBe(before);

    const category = await client.createCategory({ name: 'Greenhouse' });
    const updated = await client.asAdmin(UPDATE_CATEGORY, {
      id: category.id,
      input: { name: 'Greenhouse \u202Eelas' },
    });
    expect(errorsOf(updated)).toEqual([{ code: 'BAD_USER_INPUT', field: 'name' }]);
    expect(await stored('categories', { name: 'Greenhouse' })).toBe(1);
    expect(await stored('categories', {})).toBe(before + 1);
  });
});

describe('text no store can hold (NUL, lone surrogates)', () => {
  it.each([
    ['input.name', { name: 'Kettle\u0000' }],
    ['input.description', { description: 'Half a pair: \uD83D' }],
    ['input.attributes[0].value', { attributes: [{ name: 'size', value: '\uDC00' }] }],
  ])('createProduct answers BAD_USER_INPUT naming %s, writing nothing', async (field, override) => {
    const input = newProduct(override);
    const res = await client.asAdmin(CREATE_PRODUCT, { input });
    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    expect(await stored('products', { sku: input.sku.toUpperCase() })).toBe(0);
  });

  it('updateProduct answers BAD_USER_INPUT and leaves the product as it was', async () => {
    const product = await client.createProduct({
      name: 'Steady Stool',
      price: { amount: 777, currency: 'EUR' },
    });
    const res = await client.asAdmin(UPDATE_PRODUCT, {
      id: product.id,
      input: { name: 'Stool\u0000', price: { amount: 5, currency: 'EUR' } },
    });
    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }),
    ]);
    const after = await client.asAdmin(PRODUCT, { id: product.id });
    expect(after.data!.product).toMatchObject({
      name: 'Steady Stool',
      price: { amount: 777, currency: 'EUR' },
    });
  });

  it('createCategory answers BAD_USER_INPUT, in variables and in literals, writing nothing', async () => {
    const before = await stored('categories', {});
    const variables = await client.asAdmin(CREATE_CATEGORY, { input: { name: 'Shoes\uDFFF' } });
    expect(variables.status).toBe(400);
    expect(errorsOf(variables)).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }),
    ]);
    const literal = await client.asAdmin(
      'mutation { createCategory(input: { name: "Shoes\\u0000" }) { id } }',
    );
    expect(literal.status).toBe(400);
    expect(errorsOf(literal)).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }),
    ]);
    expect(await stored('categories', {})).toBe(before);
  });
});

describe('price bounds', () => {
  it.each([2_147_483_647, MAX_UNIT_PRICE + 1])(
    'createProduct refuses a price of %i on price.amount, writing nothing',
    async (amount) => {
      const input = newProduct({ price: { amount, currency: 'EUR' } });
      const res = await client.asAdmin(CREATE_PRODUCT, { input });
      expect(res.data).toBeNull();
      expect(errorsOf(res)).toEqual([{ code: 'BAD_USER_INPUT', field: 'price.amount' }]);
      expect(await stored('products', { sku: input.sku.toUpperCase() })).toBe(0);
    },
  );

  it.each([2_147_483_647, MAX_UNIT_PRICE + 1])(
    'updateProduct refuses a price of %i on price.amount and keeps the old one',
    async (amount) => {
      const product = await client.createProduct({ price: { amount: 1234, currency: 'EUR' } });
      const res = await client.asAdmin(UPDATE_PRODUCT, {
        id: product.id,
        input: { price: { amount, currency: 'EUR' } },
      });
      expect(errorsOf(res)).toEqual([{ code: 'BAD_USER_INPUT', field: 'price.amount' }]);
      const after = await client.asAdmin(PRODUCT, { id: product.id });
      expect(after.data!.product.price).toEqual({ amount: 1234, currency: 'EUR' });
    },
  );

  it('accepts MAX_UNIT_PRICE itself', async () => {
    const created = await client.asAdmin(CREATE_PRODUCT, {
      input: newProduct({ price: { amount: MAX_UNIT_PRICE, currency: 'EUR' } }),
    });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createProduct.price).toEqual({ amount: MAX_UNIT_PRICE, currency: 'EUR' });

    const product = await client.createProduct();
    const updated = await client.asAdmin(UPDATE_PRODUCT, {
      id: product.id,
      input: { price: { amount: MAX_UNIT_PRICE, currency: 'USD' } },
    });
    expect(updated.data!.updateProduct.price).toEqual({ amount: MAX_UNIT_PRICE, currency: 'USD' });
  });
});
