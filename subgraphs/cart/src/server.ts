import Redis from 'ioredis';
import { remoteJwks, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { Closers, type RunningSubgraph, schemaBeside, startSubgraph } from '@shop/subgraph-kit';
import type { CartConfig } from './config';
import { createContext, type Context } from './context';
import { CartService } from './services/cart-service';
import { cartResolvers } from './resolvers/cart';
import { CartStore } from './store/cart';
import { ProductCatalog } from './store/catalog';

export const typeDefs = schemaBeside(__dirname);

const SECONDS_PER_DAY = 86_400;

/** Wires the cart subgraph: Redis store, products look-ups, token verification, resolvers. */
export async function startCartService(
  config: CartConfig,
  logger: Logger = createLogger('cart', config.LOG_LEVEL),
): Promise<RunningSubgraph> {
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    // Connects on the first command (GET /readyz or a cart request): the service starts
    // while Redis is still coming up, and a stop right after start leaves no timer behind.
    const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // A client that never sent a command has nothing to flush: disconnect() ends it at once,
    // where quit() would first connect it.
    closers.add('redis', () => (redis.status === 'wait' ? redis.disconnect() : redis.quit()));
    const store = new CartStore(
      redis,
      config.REDIS_KEY_PREFIX,
      config.CART_TTL_DAYS * SECONDS_PER_DAY,
      config.CART_EMPTY_TTL_MINUTES * 60,
    );
    const catalog = new ProductCatalog({
      url: config.PRODUCTS_URL,
      timeoutMs: config.PRODUCTS_TIMEOUT_MS,
    });
    closers.add('products connection pool', () => catalog.close());
    const carts = new CartService(store, config.DEFAULT_CURRENCY, config.CART_MAX_LINES);

    const running = await startSubgraph<Context>(
      {
        name: 'cart',
        typeDefs,
        resolvers: cartResolvers(carts),
        verifier: subgraphTokenVerifier(config, remoteJwks(config.JWKS_URL)),
        logger,
        context: (base, request) => createContext(base, request, catalog),
        ready: async () => {
          await redis.ping();
        },
      },
      config.CART_PORT,
    );
    closers.add('http server', () => running.stop());

    return { ...running, stop: () => closers.close() };
  });
}
