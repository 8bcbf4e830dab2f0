import type { RunningSubgraph } from '@shop/subgraph-kit';
import { createLogger } from '@shop/logging';
import { deleteKeys, TEST_REDIS_URL, testKeyPrefix } from '@shop/test-harness';
import { loadCartConfig, type CartConfig } from '../../src/config';
import { startCartService } from '../../src/server';

export interface CartFixture {
  service: RunningSubgraph;
  config: CartConfig;
  /** This fixture's Redis key prefix: every cart it writes lives under it. */
  prefix: string;
  stop: () => Promise<void>;
}

/**
 * The cart service on an ephemeral port with a Redis key prefix of its own, so test files
 * do not see each other's carts. Pass PRODUCTS_URL and the JWKS_URL / JWT_ISSUER /
 * JWT_AUDIENCE of whoever signs the tests' tokens.
 */
export async function startCartFixture(
  overrides: Record<string, string> = {},
): Promise<CartFixture> {
  const prefix = testKeyPrefix('cart');
  const config = loadCartConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    CART_PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    ...overrides,
  });
  const service = await startCartService(config, createLogger('cart', 'silent'));
  return {
    service,
    config,
    prefix,
    stop: async () => {
      await service.stop();
      await deleteKeys(prefix);
    },
  };
}
