import type { Logger } from '@shop/logging';
import type { LockStore } from '../store/lock';
import type { ProductStore } from '../store/product';
import type { StockLedger } from '../store/stock-ledger';
import { productLock } from '../services/stock-service';
import { startPeriodic, type Periodic } from './periodic';

const BATCH = 200;

/**
 * Copies stock levels from the ledger to the catalog documents, where product lists filter
 * on them (`inStock`). Only the side of zero matters there, so a document is written when
 * its product sold out or came back since the last copy, not on every reservation: with
 * 20 products selling at once, copying every change cost FerretDB 8 ms of CPU per
 * checkout. Lists may lag the ledger by about one interval; the `stock` and `inStock`
 * fields themselves are always read from the ledger. Each write runs under the product's
 * catalog lock, because FerretDB writes back whole documents and would undo a concurrent
 * catalog edit (store/lock.ts).
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
      const seen = levels.map((l) => ({ ...l, inStock: l.available > 0 }));
      for (const level of seen.filter((l) => l.inStock !== l.mirroredInStock)) {
        await locks.withLocks([productLock(level.productId)], async (lease) => {
          lease.check();
          await products.writeStockMirror(level.productId, level.available);
        });
      }
      await ledger.markMirrored(seen);
      return levels.length === BATCH;
    },
    log,
  );
}
