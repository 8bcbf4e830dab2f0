// Federation: how cart, orders and the router resolve Product and Category references.
import { createLogger } from '@shop/logging';
import { fixtureForFile } from '@shop/test-harness';
import { createLoaders, loadReference } from '../src/context';
import { openCatalog } from '../src/server';
import { clientFor } from './support/client';
import { CATEGORY_ENTITIES, PRODUCT_ENTITIES, UPDATE_PRODUCT } from './support/operations';
import { startProductsFixture } from './support/products-service';

const fx = fixtureForFile(() => startProductsFixture());
let client: ReturnType<typeof clientFor>;
beforeAll(() => {
  client = clientFor(fx);
});

/** Counts the queries this service sends to MongoDB, per collection and operation. */
function countQueries() {
  const calls: string[] = [];
  fx.service.connection.set('debug', (collection: string, method: string) => {
    calls.push(`${collection}.${method}`);
  });
  return {
    of: (collection: string, method: string) =>
      calls.filter((c) => c === `${collection}.${method}`).length,
    all: () => calls,
    stop: () => fx.service.connection.set('debug', false),
  };
}

const reps = (typename: string, ids: string[]) => ids.map((id) => ({ __typename: typename, id }));

describe('products listing', () => {
  it('counts the matches only when a client asks for totalCount', async () => {
    await client.createProduct({ stock: 1 });
    const queries = countQueries();
    try {
      const page = await client.call('{ products(first: 5) { edges { node { id } } } }');
      expect(page.errors).toBeUndefined();
      expect(queries.of('products', 'countDocuments')).toBe(0);

      const counted = await client.call('{ products(first: 5) { totalCount } }');
      expect(counted.data!.products.totalCount).toBeGreaterThan(0);
      expect(queries.of('products', 'countDocuments')).toBe(1);
    } finally {
      queries.stop();
    }
  });
});

describe('Product entity', () => {
  it('resolves many references with one database query', async () => {
    const products = [];
    for (let i = 0; i < 5; i += 1) products.push(await client.createProduct({ stock: i }));
    const ids = [...products.map((p) => p.id), 'not-an-id', products[0]!.id];

    const queries = countQueries();
    try {
      const res = await client.call(PRODUCT_ENTITIES, { reps: reps('Product', ids) });
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([
        ...products.map((p, i) => ({
          id: p.id,
          name: p.name,
          stock: i,
          price: { amount: expect.any(Number), currency: 'EUR' },
          active: true,
        })),
        null,
        expect.objectContaining({ id: products[0]!.id }),
      ]);
      expect(queries.of('products', 'find')).toBe(1);
      expect(queries.all()).toEqual(['products.find']);
    } finally {
      queries.stop();
    }
  });

  it('is null, not an error, for inactive and deleted products unless the caller is an ADMIN', async () => {
    const live = await client.createProduct();
    const inactive = await client.createProduct({ active: false });
    const deleted = await client.createProduct();
    await client.asAdmin(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: deleted.id });
    const ids = [live.id, inactive.id, deleted.id];

    for (const token of [
      undefined,
      client.tokens.userToken(),
      client.tokens.serviceToken('cart-service', []),
    ]) {
      const res = await client.call(PRODUCT_ENTITIES, { reps: reps('Product', ids) }, token);
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities.map((e: any) => e?.id ?? null)).toEqual([live.id, null, null]);
    }
    const admin = await client.asAdmin(PRODUCT_ENTITIES, { reps: reps('Product', ids) });
    expect(admin.data!._entities.map((e: any) => e.id)).toEqual(ids);
  });

  it('shows the current price and stock, so carts total from catalog prices', async () => {
    const product = await client.createProduct({ price: { amount: 500, currency: 'EUR' } });
    await client.asAdmin(UPDATE_PRODUCT, {
      id: product.id,
      input: { price: { amount: 650, currency: 'EUR' } },
    });
    const res = await client.call(PRODUCT_ENTITIES, { reps: reps('Product', [product.id]) });
    expect(res.data!._entities[0].price).toEqual({ amount: 650, currency: 'EUR' });
  });
});

describe('Category entity', () => {
  it('resolves many references with one database query', async () => {
    const a = await client.createCategory({ name: 'Entity A' });
    const b = await client.createCategory({ name: 'Entity B' });
    const queries = countQueries();
    try {
      const res = await client.call(CATEGORY_ENTITIES, {
        reps: reps('Category', [a.id, b.id, 'ffffffffffffffffffffffff']),
      });
      expect(res.data!._entities).toEqual([
        { id: a.id, name: 'Entity A', slug: 'entity-a' },
        { id: b.id, name: 'Entity B', slug: 'entity-b' },
        null,
      ]);
      expect(queries.all()).toEqual(['categories.find']);
    } finally {
      queries.stop();
    }
  });
});

describe('Category.products across many categories', () => {
  const PAGES = `query($first: Int, $after: String) { categories { id
    products(first: $first, after: $after) {
      totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`;

  /** 4 shelves with 4 sub-shelves each; 0 to 3 products per sub-shelf, 1 per shelf. */
  async function buildCatalog() {
    const shelves: { id: string; parentId: string | null }[] = [];
    const products: { id: string; categoryId: string; active: boolean }[] = [];
    for (let s = 0; s < 4; s += 1) {
      const shelf = await client.createCategory({ name: `Shelf ${s}` });
      shelves.push({ id: shelf.id, parentId: null });
      for (let c = 0; c < 4; c += 1) {
        const sub = await client.createCategory({
          name: `Shelf ${s} part ${c}`,
          parentId: shelf.id,
        });
        shelves.push({ id: sub.id, parentId: shelf.id });
        for (let p = 0; p < (s + c) % 4; p += 1) {
          const active = (s + c + p) % 5 !== 0;
          const made = await client.createProduct({ categoryId: sub.id, active });
          products.push({ id: made.id, categoryId: sub.id, active });
        }
      }
      const own = await client.createProduct({ categoryId: shelf.id });
      products.push({ id: own.id, categoryId: shelf.id, active: true });
    }
    // Deleted products are in no page and no total, for anyone.
    const gone = await client.createProduct({ categoryId: shelves[1]!.id });
    await client.asAdmin(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: gone.id });
    return { shelves, products };
  }

  /** What one category's page must hold: its own and its sub-categories' products, oldest first. */
  function expectedPage(
    catalog: Awaited<ReturnType<typeof buildCatalog>>,
    categoryId: string,
    options: { first: number; afterId?: string; admin: boolean },
  ) {
    const scope = new Set([
      categoryId,
      ...catalog.shelves.filter((c) => c.parentId === categoryId).map((c) => c.id),
    ]);
    const all = catalog.products.filter(
      (p) => scope.has(p.categoryId) && (options.admin || p.active),
    );
    const start = options.afterId
      ? catalog.products.findIndex((p) => p.id === options.afterId) + 1
      : 0;
    const rest = all.filter((p) => catalog.products.indexOf(p) >= start);
    return {
      totalCount: all.length,
      ids: rest.slice(0, options.first).map((p) => p.id),
      hasNextPage: rest.length > options.first,
    };
  }

  it('reads the pages of 20 categories with a fixed number of queries, keeping pages and totals', async () => {
    const catalog = await buildCatalog();
    const mine = (res: any) =>
      new Map(
        (res.data!.categories as any[])
          .filter((c) => catalog.shelves.some((s) => s.id === c.id))
          .map((c) => [c.id, c.products]),
      );
    const check = (res: any, options: { first: number; afterId?: string; admin: boolean }) => {
      expect(res.errors).toBeUndefined();
      const pages = mine(res);
      expect(pages.size).toBe(20);
      for (const shelf of catalog.shelves) {
        const page = pages.get(shelf.id);
        const expected = expectedPage(catalog, shelf.id, options);
        expect({
          totalCount: page.totalCount,
          ids: page.edges.map((e: any) => e.node.id),
          hasNextPage: page.pageInfo.hasNextPage,
        }).toEqual(expected);
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      }
    };

    const queries = countQueries();
    try {
      check(await client.asAdmin(PAGES, { first: 2 }), { first: 2, admin: true });
      // One read of the categories, two of the products (pick, then load), one count
      // for every total: the same for 20 categories as for 2.
      expect(queries.all().sort()).toEqual([
        'categories.find',
        'products.aggregate',
        'products.find',
        'products.find',
      ]);
    } finally {
      queries.stop();
    }

    // The same through a cursor, for a shopper (inactive products hidden).
    const afterId = catalog.products[3]!.id;
    const cursor = (await client.asAdmin(PAGES, { first: 50 }))
      .data!.categories.flatMap((c: any) => c.products.edges)
      .find((e: any) => e.node.id === afterId).cursor;
    check(await client.call(PAGES, { first: 1, after: cursor }), {
      first: 1,
      afterId,
      admin: false,
    });
    check(await client.call(PAGES, { first: 3 }), { first: 3, admin: false });
  });

  it('refuses a bad page size or cursor with BAD_USER_INPUT', async () => {
    const big = await client.call(PAGES, { first: 101 });
    expect(big.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const bad = await client.call(PAGES, { after: 'not-a-cursor' });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('malformed representations', () => {
  const healthz = () => fetch(fx.service.url.replace(/\/graphql$/, '/healthz'));
  const errorsAt = (res: { errors?: { path?: (string | number)[]; extensions?: any }[] }) =>
    Object.fromEntries(
      (res.errors ?? []).map((e) => [String(e.path?.at(-1)), e.extensions?.code as string]),
    );

  it('answers the request that used to end the process with BAD_USER_INPUT per index, anonymously', async () => {
    // Sent as-is, without a token: a number as Product id, a type nobody resolves.
    const res = await client.call('query($r:[_Any!]!){_entities(representations:$r){__typename}}', {
      r: [
        { __typename: 'Product', id: 1 },
        { __typename: 'Nope', id: 'x' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.data!._entities).toEqual([null, null]);
    expect(res.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 1], 'BAD_USER_INPUT'],
    ]);
    expect((await healthz()).status).toBe(200);
    // And it still does its job.
    const product = await client.createProduct();
    const after = await client.call(PRODUCT_ENTITIES, { reps: reps('Product', [product.id]) });
    expect(after.data!._entities[0].id).toBe(product.id);
  });

  it('resolves the valid representations next to bad ones, each bad one failing at its own index', async () => {
    const product = await client.createProduct({ stock: 3 });
    const category = await client.createCategory({ name: 'Next To Bad Ones' });
    const representations = [
      { __typename: 'Product', id: product.id },
      { __typename: 'Product', id: null },
      { __typename: 'Product', id: { $ne: null } },
      { id: product.id },
      { __typename: 'Category', id: category.id },
      { __typename: 'Category', id: 42 },
      { __typename: 'Category', id: ['ffffffffffffffffffffffff'] },
      { __typename: 'Product', id: 'a'.repeat(10_000) },
      { __typename: 'Product', id: '' },
      // Well formed but naming nothing: null, as for any id that does not exist.
      { __typename: 'Category', id: 'not-an-id' },
      { __typename: 'Product', id: product.id.toUpperCase() },
    ];
    const res = await client.call(
      `query($reps: [_Any!]!) { _entities(representations: $reps) {
        __typename ... on Product { id stock } ... on Category { id slug } } }`,
      { reps: representations },
    );
    expect(res.status).toBe(200);
    expect(res.data!._entities).toEqual([
      { __typename: 'Product', id: product.id, stock: 3 },
      null,
      null,
      null,
      { __typename: 'Category', id: category.id, slug: 'next-to-bad-ones' },
      null,
      null,
      null,
      null,
      null,
      { __typename: 'Product', id: product.id, stock: 3 },
    ]);
    expect(errorsAt(res)).toEqual({
      1: 'BAD_USER_INPUT',
      2: 'BAD_USER_INPUT',
      3: 'BAD_USER_INPUT',
      5: 'BAD_USER_INPUT',
      6: 'BAD_USER_INPUT',
      7: 'BAD_USER_INPUT',
      8: 'BAD_USER_INPUT',
    });
    expect((await healthz()).status).toBe(200);
  });

  it('leaves reference look-ups answering null for keys that are not ObjectId strings', async () => {
    // The entity guard keeps such keys away from the reference resolvers; the look-ups
    // must not depend on it: one TypeError would fail every reference of the request.
    const opened = await openCatalog(fx.config, createLogger('products', 'silent'));
    try {
      const loaders = createLoaders(
        opened.products,
        opened.categories,
        opened.catalog,
        opened.stock,
      );
      const product = await client.createProduct();
      const keys = [1, null, undefined, { $ne: null }, ['ffffffffffffffffffffffff'], product.id];
      const found = await Promise.all(keys.map((id) => loadReference(loaders.product, id)));
      expect(found.map((p) => p?.id ?? null)).toEqual([null, null, null, null, null, product.id]);
      expect(await loadReference(loaders.category, 7)).toBeNull();
    } finally {
      await opened.close();
    }
  });
});

describe('health', () => {
  it('is alive and ready when MongoDB answers', async () => {
    const base = fx.service.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', service: 'products' });
  });
});
