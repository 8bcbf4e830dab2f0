// Browsing the catalog as a storefront does: filters, pages, categories.
import { fixtureForFile } from '@shop/test-harness';
import { clientFor } from './support/client';
import {
  CATEGORIES,
  CATEGORY_PRODUCTS,
  PRODUCT,
  PRODUCTS,
  UPDATE_CATEGORY,
  UPDATE_PRODUCT,
} from './support/operations';
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());
let client: ReturnType<typeof clientFor>;
const ids: Record<string, string> = {};
const cat: Record<string, string> = {};

beforeAll(async () => {
  client = clientFor(fx);
  // electronics ─┬─ phones
  //              └─ audio
  // books
  cat.electronics = (await client.createCategory({ name: 'Electronics' })).id;
  cat.phones = (await client.createCategory({ name: 'Phones', parentId: cat.electronics })).id;
  cat.audio = (await client.createCategory({ name: 'Audio', parentId: cat.electronics })).id;
  cat.books = (await client.createCategory({ name: 'Books' })).id;
  const seed: [string, Record<string, unknown>][] = [
    [
      'phone',
      {
        sku: 'PH-1',
        name: 'Pocket Phone',
        price: { amount: 19900, currency: 'EUR' },
        categoryId: cat.phones,
        stock: 3,
      },
    ],
    [
      'case',
      {
        sku: 'PH-CASE',
        name: 'Phone Case',
        description: 'Fits the Pocket Phone',
        price: { amount: 1500, currency: 'EUR' },
        categoryId: cat.phones,
        stock: 0,
      },
    ],
    [
      'headphones',
      {
        sku: 'AU-1',
        name: 'Studio Headphones',
        price: { amount: 12900, currency: 'EUR' },
        categoryId: cat.audio,
        stock: 5,
      },
    ],
    [
      'charger',
      {
        sku: 'EL-1',
        name: 'USB-C Charger',
        price: { amount: 3499, currency: 'USD' },
        categoryId: cat.electronics,
        stock: 7,
      },
    ],
    [
      'cookbook',
      {
        sku: 'BK-1',
        name: 'Crème brûlée',
        description: 'Desserts (French)',
        price: { amount: 2900, currency: 'EUR' },
        categoryId: cat.books,
        stock: 2,
      },
    ],
    [
      'hidden',
      {
        sku: 'BK-2',
        name: 'Unreleased Book',
        price: { amount: 1000, currency: 'EUR' },
        categoryId: cat.books,
        stock: 9,
        active: false,
      },
    ],
  ];
  for (const [key, input] of seed) ids[key] = (await client.createProduct(input)).id;
});

async function browse(filter: Record<string, unknown> = {}, token?: string) {
  const res = await client.call(PRODUCTS, { filter, first: 100 }, token);
  expect(res.errors).toBeUndefined();
  return {
    skus: res.data!.products.edges.map((e: any) => e.node.sku).sort(),
    totalCount: res.data!.products.totalCount,
  };
}

describe('products filters', () => {
  it('lists active products to anonymous callers, oldest first', async () => {
    const res = await client.call(PRODUCTS, { first: 100 });
    expect(res.data!.products.edges.map((e: any) => e.node.sku)).toEqual([
      'PH-1',
      'PH-CASE',
      'AU-1',
      'EL-1',
      'BK-1',
    ]);
    expect(res.data!.products.totalCount).toBe(5);
  });

  it('shows inactive products to ADMINs only', async () => {
    expect((await browse({}, client.tokens.userToken())).skus).not.toContain('BK-2');
    expect((await browse({}, client.tokens.adminToken())).skus).toContain('BK-2');
    const hidden = await client.call(PRODUCT, { id: ids.hidden });
    expect(hidden.data!.product).toBeNull();
  });

  it('searches name, description and sku, ignoring case and accents', async () => {
    // Words match anywhere in a word: "phone" is in "Headphones" too.
    expect(await browse({ search: 'phone' })).toEqual({
      skus: ['AU-1', 'PH-1', 'PH-CASE'],
      totalCount: 3,
    });
    expect((await browse({ search: 'CREME Brulee' })).skus).toEqual(['BK-1']);
    expect((await browse({ search: 'pocket fits' })).skus).toEqual(['PH-CASE']);
    expect((await browse({ search: 'au-1' })).skus).toEqual(['AU-1']);
    // Regular-expression syntax is matched literally, never interpreted.
    expect((await browse({ search: '(french)' })).skus).toEqual(['BK-1']);
    expect((await browse({ search: '.*' })).skus).toEqual([]);
  });

  it('filters by category including sub-categories', async () => {
    expect((await browse({ categoryId: cat.electronics })).skus).toEqual([
      'AU-1',
      'EL-1',
      'PH-1',
      'PH-CASE',
    ]);
    expect((await browse({ categoryId: cat.phones })).skus).toEqual(['PH-1', 'PH-CASE']);
    expect(await browse({ categoryId: 'ffffffffffffffffffffffff' })).toEqual({
      skus: [],
      totalCount: 0,
    });
  });

  it('filters by price range, currency and stock', async () => {
    expect((await browse({ minPrice: 2900, maxPrice: 12900 })).skus).toEqual([
      'AU-1',
      'BK-1',
      'EL-1',
    ]);
    expect((await browse({ currency: 'usd' })).skus).toEqual(['EL-1']);
    expect((await browse({ inStock: false })).skus).toEqual(['PH-CASE']);
    expect(
      await browse({ inStock: true, categoryId: cat.phones, search: 'phone', maxPrice: 20000 }),
    ).toEqual({ skus: ['PH-1'], totalCount: 1 });
  });

  it('refuses a bad filter naming the field', async () => {
    const res = await client.call(PRODUCTS, { filter: { minPrice: 10, maxPrice: 5 } });
    expect(res.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.maxPrice',
    });
  });
});

describe('pagination', () => {
  it('pages through the list with cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await client.call(PRODUCTS, { first: 2, after });
      expect(res.data.products.totalCount).toBe(5);
      seen.push(...res.data.products.edges.map((e: any) => e.node.sku));
      if (!res.data.products.pageInfo.hasNextPage) break;
      after = res.data.products.pageInfo.endCursor;
    }
    expect(seen).toEqual(['PH-1', 'PH-CASE', 'AU-1', 'EL-1', 'BK-1']);
  });

  it('stays correct while products are added between pages', async () => {
    const fresh = await startProductsFixture();
    try {
      const c = clientFor(fresh);
      for (let i = 1; i <= 4; i += 1) await c.createProduct({ sku: `P-${i}` });
      const first = await c.call(PRODUCTS, { first: 2 });
      expect(first.data!.products.edges.map((e: any) => e.node.sku)).toEqual(['P-1', 'P-2']);
      // New products arrive while the shopper reads page one.
      await c.createProduct({ sku: 'P-5' });
      await c.createProduct({ sku: 'P-6' });
      const seen = [];
      let after = first.data!.products.pageInfo.endCursor;
      for (;;) {
        const res: any = await c.call(PRODUCTS, { first: 2, after });
        seen.push(...res.data.products.edges.map((e: any) => e.node.sku));
        if (!res.data.products.pageInfo.hasNextPage) break;
        after = res.data.products.pageInfo.endCursor;
      }
      // Nothing repeated, nothing skipped; the new products come at the end.
      expect(seen).toEqual(['P-3', 'P-4', 'P-5', 'P-6']);
    } finally {
      await fresh.stop();
    }
  });

  it('refuses a cursor it did not make and a page size out of range', async () => {
    const bad = await client.call(PRODUCTS, { after: 'bm9wZQ' });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await client.call(PRODUCTS, { first: 1000 });
    expect(tooMany.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });
});

describe('categories', () => {
  it('lists every category with its parent and children, by name', async () => {
    const res = await client.call(CATEGORIES);
    expect(res.data!.categories.map((c: any) => c.slug)).toEqual([
      'audio',
      'books',
      'electronics',
      'phones',
    ]);
    const electronics = res.data!.categories.find((c: any) => c.slug === 'electronics');
    expect(electronics.parent).toBeNull();
    expect(electronics.children.map((c: any) => c.slug).sort()).toEqual(['audio', 'phones']);
    const phones = res.data!.categories.find((c: any) => c.slug === 'phones');
    expect(phones.parent).toEqual({ id: cat.electronics, slug: 'electronics' });
  });

  it('Category.products includes sub-categories and pages', async () => {
    const res = await client.call(CATEGORY_PRODUCTS, { id: cat.electronics, first: 3 });
    expect(res.data!.category.products.totalCount).toBe(4);
    expect(res.data!.category.products.edges.map((e: any) => e.node.sku)).toEqual([
      'PH-1',
      'PH-CASE',
      'AU-1',
    ]);
    const next = await client.call(CATEGORY_PRODUCTS, {
      id: cat.electronics,
      first: 3,
      after: res.data!.category.products.pageInfo.endCursor,
    });
    expect(next.data!.category.products.edges.map((e: any) => e.node.sku)).toEqual(['EL-1']);
  });

  it('moves a category, refusing a parent cycle', async () => {
    const sub = await client.createCategory({ name: 'Cases', parentId: cat.phones });
    const cycle = await client.asAdmin(UPDATE_CATEGORY, {
      id: cat.electronics,
      input: { parentId: sub.id },
    });
    expect(cycle.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'parentId' });
    const self = await client.asAdmin(UPDATE_CATEGORY, {
      id: cat.books,
      input: { parentId: cat.books },
    });
    expect(self.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'parentId' });

    const moved = await client.asAdmin(UPDATE_CATEGORY, {
      id: sub.id,
      input: { parentId: cat.audio, name: 'Headphone cases' },
    });
    expect(moved.data!.updateCategory).toMatchObject({
      name: 'Headphone cases',
      slug: 'cases',
      parent: { id: cat.audio },
    });
  });

  it('a product moved between categories is found under the new one', async () => {
    await client.asAdmin(UPDATE_PRODUCT, { id: ids.charger, input: { categoryId: cat.audio } });
    expect((await browse({ categoryId: cat.audio })).skus).toEqual(['AU-1', 'EL-1']);
    await client.asAdmin(UPDATE_PRODUCT, {
      id: ids.charger,
      input: { categoryId: cat.electronics },
    });
  });
});
