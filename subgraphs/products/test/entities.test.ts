// Federation: how cart, orders and the router resolve Product and Category references.
import { clientFor } from './support/client';
import { CATEGORY_ENTITIES, PRODUCT_ENTITIES, UPDATE_PRODUCT } from './support/operations';
import { startProductsFixture, type ProductsFixture } from './support/products-service';

let fx: ProductsFixture;
let client: ReturnType<typeof clientFor>;
beforeAll(async () => {
  fx = await startProductsFixture();
  client = clientFor(fx);
});
afterAll(() => fx.stop());

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

describe('health', () => {
  it('is alive and ready when MongoDB answers', async () => {
    const base = fx.service.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', service: 'products' });
  });
});
