import { createLogger } from '@shop/logging';
import {
  createTestDatabase,
  startTokenIssuer,
  testMongoDatabase,
  type TestDatabase,
  type TokenIssuer,
} from '@shop/test-harness';
import { loadProductsConfig, type ProductsConfig } from '../../src/config';
import { startProductsService, type ProductsService } from '../../src/server';

export interface ProductsFixtureOverrides {
  /** Whose tokens to accept; e2e passes the users service's. Without it, a test issuer. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Further environment variables for the service's config. */
  env?: Record<string, string>;
}

export interface ProductsFixture {
  service: ProductsService;
  config: ProductsConfig;
  /** The fixture's own token issuer; null when `jwksUrl` was given. */
  tokens: TokenIssuer | null;
  /** The stock ledger's PostgreSQL database (dropped on stop). */
  ledgerDb: TestDatabase;
  stop: () => Promise<void>;
}

/**
 * The products service on an ephemeral port with a MongoDB database of its own (dropped
 * on stop), so test files do not see each other's data and can run in parallel.
 */
export async function startProductsFixture(
  overrides: ProductsFixtureOverrides = {},
): Promise<ProductsFixture> {
  const tokens = overrides.jwksUrl ? null : await startTokenIssuer();
  const ledgerDb = await createTestDatabase('products');
  const { url, dbName } = testMongoDatabase('products');
  const config = loadProductsConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PRODUCTS_PORT: '0',
    MONGODB_URL: url,
    PRODUCTS_DB_NAME: dbName,
    PRODUCTS_DATABASE_URL: ledgerDb.url,
    JWKS_URL: overrides.jwksUrl ?? tokens!.jwksUrl,
    JWT_ISSUER: overrides.issuer ?? tokens?.issuer ?? 'http://localhost:4001',
    JWT_AUDIENCE: overrides.audience ?? tokens?.audience ?? 'shop',
    ...overrides.env,
  });
  let service: ProductsService;
  try {
    // TEST_LOG_LEVEL=debug shows the service's logs while a test runs.
    const logger = createLogger('products', process.env.TEST_LOG_LEVEL ?? 'silent');
    service = await startProductsService(config, logger);
  } catch (error) {
    await tokens?.stop();
    await ledgerDb.drop();
    throw error;
  }
  return {
    service,
    config,
    tokens,
    ledgerDb,
    stop: async () => {
      // Drop before stop: stop closes the connection.
      await service.connection.dropDatabase();
      await service.stop();
      await tokens?.stop();
      await ledgerDb.drop();
    },
  };
}
