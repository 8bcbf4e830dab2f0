import { createLogger } from '@shop/logging';
import { testMongoDatabase } from '@shop/test-harness';
import { loadProductsConfig } from '../src/config';
import { seedCatalog } from '../src/seed';
import { openCatalog } from '../src/server';

describe('seed', () => {
  it('fills an empty catalog once, with nested categories and stocked products', async () => {
    const { url, dbName } = testMongoDatabase('products_seed');
    const config = loadProductsConfig({ MONGODB_URL: url, PRODUCTS_DB_NAME: dbName });
    const opened = await openCatalog(config, createLogger('products', 'silent'));
    try {
      const first = await seedCatalog(opened);
      expect(first.categories).toBeGreaterThanOrEqual(4);
      expect(first.products).toBeGreaterThanOrEqual(20);

      const categories = await opened.categories.all();
      expect(categories).toHaveLength(first.categories);
      expect(categories.some((c) => c.parentId !== null)).toBe(true);
      expect(await opened.products.countAll()).toBe(first.products);

      expect(await seedCatalog(opened)).toEqual({ categories: 0, products: 0 });
      expect(await opened.products.countAll()).toBe(first.products);
    } finally {
      await opened.connection.dropDatabase();
      await opened.connection.close();
    }
  });
});
