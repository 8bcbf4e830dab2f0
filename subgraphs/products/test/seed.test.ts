import { createLogger } from '@shop/logging';
import { createTestDatabase, testMongoDatabase } from '@shop/test-harness';
import { loadProductsConfig } from '../src/config';
import { seedCatalog } from '../src/seed';
import { openCatalog } from '../src/server';

describe('seed', () => {
  it('fills an empty catalog once, with nested categories and stocked products', async () => {
    const { url, dbName } = testMongoDatabase('products_seed');
    const ledgerDb = await createTestDatabase('products');
    const config = loadProductsConfig({
      MONGODB_URL: url,
      PRODUCTS_DB_NAME: dbName,
      PRODUCTS_DATABASE_URL: ledgerDb.url,
    });
    const opened = await openCatalog(config, createLogger('products', 'silent'));
    try {
      const first = await seedCatalog(opened);
      expect(first.categories).toBeGreaterThanOrEqual(4);
      expect(first.products).toBeGreaterThanOrEqual(20);

      const categories = await opened.categories.all();
      expect(categories).toHaveLength(first.categories);
      expect(categories.some((c) => c.parentId !== null)).toBe(true);
      expect(await opened.products.countAll()).toBe(first.products);
      // Every product's units are in the stock ledger, as the demo lists them.
      const levels = await opened.prisma.stockLevel.findMany();
      expect(levels).toHaveLength(first.products);
      expect(levels.reduce((n, l) => n + l.available, 0)).toBeGreaterThan(0);

      expect(await seedCatalog(opened)).toEqual({ categories: 0, products: 0 });
      expect(await opened.products.countAll()).toBe(first.products);
    } finally {
      await opened.connection.dropDatabase();
      await opened.close();
      await ledgerDb.drop();
    }
  });
});
