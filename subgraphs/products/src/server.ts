import type { Connection } from 'mongoose';
import { remoteJwks, subgraphTokenVerifier } from '@shop/auth';
import { createLogger, type Logger } from '@shop/logging';
import { Closers, type RunningSubgraph, schemaBeside, startSubgraph } from '@shop/subgraph-kit';
import type { ProductsConfig } from './config';
import { createLoaders, type Context } from './context';
import { CatalogService } from './services/catalog-service';
import { StockService } from './services/stock-service';
import { categoryResolvers } from './resolvers/category';
import { productResolvers } from './resolvers/product';
import { reservationResolvers } from './resolvers/reservation';
import { CategoryStore } from './store/category';
import { LockStore } from './store/lock';
import { connectMongo } from '@shop/mongo-kit';
import { ProductStore } from './store/product';
import { importLegacyStock } from './store/legacy-stock';
import { createPrisma, type PrismaClient } from './store/prisma';
import { StockLedger } from './store/stock-ledger';
import { startHoldSweeper } from './jobs/hold-sweeper';
import { startStockMirror } from './jobs/stock-mirror';

export const typeDefs = schemaBeside(__dirname);

export interface ProductsService extends RunningSubgraph {
  /** The service's MongoDB connection (tests count its queries and drop its database). */
  connection: Connection;
  /** The stock ledger's client (tests read what was written). */
  prisma: PrismaClient;
}

/**
 * The stores of the catalog (MongoDB) and of the stock ledger (PostgreSQL), indexes
 * ensured and stock from before the ledger imported. Shared by the server and the seed.
 */
export async function openCatalog(config: ProductsConfig, logger: Logger) {
  const connection = await connectMongo({
    url: config.MONGODB_URL,
    dbName: config.PRODUCTS_DB_NAME,
    maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
  });
  const prisma = createPrisma(config.PRODUCTS_DATABASE_URL, config.PRODUCTS_DATABASE_POOL_SIZE);
  const close = async () => {
    await Promise.allSettled([connection.close(), prisma.$disconnect()]);
  };
  const products = new ProductStore(connection);
  const categories = new CategoryStore(connection);
  const ledger = new StockLedger(prisma);
  const locks = new LockStore(connection, {
    leaseMs: config.STOCK_LOCK_LEASE_MS,
    waitMs: config.STOCK_LOCK_WAIT_MS,
    log: logger,
  });
  try {
    await products.ensureIndexes();
    await categories.ensureIndexes();
    await locks.ensureIndexes();
    const imported = await importLegacyStock(connection, ledger);
    if (imported.products > 0) {
      logger.info(imported, 'stock ledger: products without a stock row imported from the catalog');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    connection,
    prisma,
    close,
    products,
    categories,
    ledger,
    locks,
    catalog: new CatalogService(products, categories, locks, ledger),
    stock: new StockService(
      ledger,
      products,
      { claimWithinMs: config.STOCK_HOLD_CLAIM_MS },
      logger,
    ),
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
  const closers = new Closers(logger);
  return closers.closeOnFailure(async () => {
    const opened = await openCatalog(config, logger);
    closers.add('catalog and stock ledger', opened.close);
    const { connection, prisma, products, categories, catalog, stock } = opened;

    const running = await startSubgraph<Context>(
      {
        name: 'products',
        typeDefs,
        resolvers: merge(
          productResolvers(catalog, stock),
          categoryResolvers(catalog),
          reservationResolvers(stock),
        ),
        verifier: subgraphTokenVerifier(config, remoteJwks(config.JWKS_URL)),
        logger,
        context: (base) => ({
          ...base,
          loaders: createLoaders(products, categories, catalog, stock),
        }),
        ready: async () => {
          if (!connection.db) throw new Error('MongoDB is not connected');
          await Promise.all([connection.db.admin().ping(), prisma.$queryRaw`SELECT 1`]);
        },
      },
      config.PRODUCTS_PORT,
    );
    closers.add('http server', () => running.stop());

    const sweeper = startHoldSweeper(opened.ledger, config.STOCK_HOLD_SWEEP_INTERVAL_MS, logger);
    closers.add('hold sweeper', () => sweeper.stop());
    const mirror = startStockMirror(
      opened.ledger,
      products,
      opened.locks,
      config.STOCK_MIRROR_INTERVAL_MS,
      logger,
    );
    closers.add('stock mirror', () => mirror.stop());

    return { ...running, connection, prisma, stop: () => closers.close() };
  });
}
