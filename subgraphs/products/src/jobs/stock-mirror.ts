import type { Logger } from '@shop/logging';
import type { LockStore } from '../store/lock';
import type { ProductStore } from '../store/product';
import type { StockLedger } from '../store/stock-ledger';
import { productLock } from '../domain/stock-service';
import { startPeriodic, type Periodic } from './periodic';

const BATCH = 200;

/**
 * Copies stock levels from the ledger to the catalog documents, where product lists filter
 * on them (`inStock`): a hot product's level is written to MongoDB once per interval, not
 * once per reservation. Lists may lag the ledger by about one interval; the `stock` and
 * `inStock` fields themselves are always read from the ledger. Each write runs under the
 * product's catalog lock, because FerretDB writes back whole documents and would undo a
 * concurrent catalog edit (store/lock.ts).
 */
export function startStockMirror(
  ledger: StockLedger,
  products: ProductStore,
  locks: LockStore,
  intervalMs: number,
  log: Logger,
): Periodic {
  return startPeriodic(
    'stock mirror',
    intervalMs,
    async () => {
      const levels = await ledger.unmirrored(BATCH);
      for (const level of levels) {
        await locks.withLocks([productLock(level.productId)], async (lease) => {
          lease.check();
          await products.writeStockMirror(level.productId, level.available);
        });
        await ledger.markMirrored(level.productId, level.version);
      }
      return levels.length === BATCH;
    },
    log,
  );
}
