import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import type { Connection } from 'mongoose';
import { remoteJwks, TokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { startSubgraph, type RunningSubgraph } from '@shop/subgraph-kit';
import type { ProductsConfig } from './config';
import { createLoaders, type Context } from './context';
import { CatalogService } from './domain/catalog-service';
import { StockService } from './domain/stock-service';
import { categoryResolvers } from './resolvers/category';
import { productResolvers } from './resolvers/product';
import { reservationResolvers } from './resolvers/reservation';
import { CategoryStore } from './store/category';
import { LockStore } from './store/lock';
import { connectMongo } from '@shop/mongo-kit';
import { ProductStore } from './store/product';
import { ReservationStore } from './store/reservation';

export const typeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface ProductsService extends RunningSubgraph {
  /** The service's MongoDB connection (tests count its queries and drop its database). */
  connection: Connection;
}

/** The stores of one catalog database, indexes ensured. Shared by the server and the seed. */
export async function openCatalog(config: ProductsConfig, logger: Logger) {
  const connection = await connectMongo({
    url: config.MONGODB_URL,
    dbName: config.PRODUCTS_DB_NAME,
    maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
  });
  const products = new ProductStore(connection);
  const categories = new CategoryStore(connection);
  const reservations = new ReservationStore(connection);
  const locks = new LockStore(connection, {
    leaseMs: config.STOCK_LOCK_LEASE_MS,
    waitMs: config.STOCK_LOCK_WAIT_MS,
    log: logger,
  });
  try {
    await products.ensureIndexes();
    await categories.ensureIndexes();
    await locks.ensureIndexes();
  } catch (error) {
    await connection.close();
    throw error;
  }
  return {
    connection,
    products,
    categories,
    catalog: new CatalogService(products, categories, locks),
    stock: new StockService(products, reservations, locks, logger),
  };
}

function merge(...maps: Record<string, Record<string, unknown> | undefined>[]) {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      merged[type] = { ...merged[type], ...fields };
    }
  }
  return merged;
}

/** Wires the products subgraph: MongoDB stores, stock locks, resolvers. */
export async function startProductsService(
  config: ProductsConfig,
  logger: Logger = createLogger('products', config.LOG_LEVEL),
): Promise<ProductsService> {
  const { connection, products, categories, catalog, stock } = await openCatalog(config, logger);

  let running: RunningSubgraph;
  try {
    running = await startSubgraph<Context>(
      {
        name: 'products',
        typeDefs,
        resolvers: merge(
          productResolvers(catalog, stock),
          categoryResolvers(catalog),
          reservationResolvers(stock),
        ),
        verifier: new TokenVerifier({
          issuer: config.JWT_ISSUER,
          audience: [config.JWT_AUDIENCE, config.SERVICE_TOKEN_AUDIENCE],
          keys: remoteJwks(config.JWKS_URL),
        }),
        logger,
        context: (base) => ({ ...base, loaders: createLoaders(products, categories, catalog) }),
        ready: async () => {
          if (!connection.db) throw new Error('MongoDB is not connected');
          await connection.db.admin().ping();
        },
      },
      config.PRODUCTS_PORT,
    );
  } catch (error) {
    await connection.close();
    throw error;
  }

  return {
    ...running,
    connection,
    stop: async () => {
      await running.stop();
      await connection.close();
    },
  };
}
