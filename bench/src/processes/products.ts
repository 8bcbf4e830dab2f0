// The products service with its own databases in a process of its own: by default loaded
// with the demo catalog and trusting its own test issuer; given a token issuer (the users
// service) and `seed: false`, an empty catalog that shop benchmarks fill through the router.
// Where products keeps stock in PostgreSQL (a schema in prisma/products/ and a config that
// reads PRODUCTS_DATABASE_URL), a migrated database of that schema of its own too, passed
// as PRODUCTS_DATABASE_URL (unless that is set in the environment already), dropped on stop.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '@shop/logging';
import { startProductsFixture } from '@shop/products/testing';
import { createTestDatabase, REPO_ROOT, type TestDatabase } from '@shop/test-harness';
import { productsConfigSchema } from '../../../subgraphs/products/src/config';
import { openCatalog } from '../../../subgraphs/products/src/server';
import { seedCatalog, type SeedResult } from '../../../subgraphs/products/src/seed';
import { announce, childInput, stopOnSigterm } from './child';

interface Input {
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  seed?: boolean;
  /** Further environment for the service's config. */
  env?: Record<string, string>;
}

/** Null where products uses no PostgreSQL database or the caller named one. */
async function stockDatabase(): Promise<TestDatabase | null> {
  if (process.env.PRODUCTS_DATABASE_URL) return null;
  if (!existsSync(path.join(REPO_ROOT, 'prisma', 'products', 'migrations'))) return null;
  // A schema on disk that the service does not read yet is not worth migrating.
  if (!('PRODUCTS_DATABASE_URL' in productsConfigSchema.shape)) return null;
  return createTestDatabase('products');
}

void (async () => {
  const { seed = true, env = {}, ...trust } = childInput<Input>();
  const database = await stockDatabase();
  const databaseUrl = database?.url ?? process.env.PRODUCTS_DATABASE_URL;
  const products = await startProductsFixture({
    ...trust,
    env: { ...(databaseUrl ? { PRODUCTS_DATABASE_URL: databaseUrl } : {}), ...env },
  }).catch(async (error: unknown) => {
    await database?.drop();
    throw error;
  });
  let seeded: SeedResult = { categories: 0, products: 0 };
  if (seed) {
    const catalog = await openCatalog(products.config, createLogger('products-seed', 'silent'));
    seeded = await seedCatalog(catalog);
    await catalog.connection.close();
  }
  stopOnSigterm(async () => {
    await products.stop();
    await database?.drop();
  });
  announce({
    url: products.service.url,
    jwksUrl: products.tokens?.jwksUrl ?? trust.jwksUrl,
    seeded,
  });
})();
