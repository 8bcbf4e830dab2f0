import type { Logger } from '@shop/logging';
import type { StockLedger } from '../store/stock-ledger';
import { startPeriodic, type Periodic } from './periodic';

const BATCH = 500;

/**
 * Puts held units back on sale when no order claimed them in time: the order's service
 * crashed or was deployed away between reserving and writing the order, or its
 * transaction failed and the release never arrived. Every replica sweeps; the ledger
 * skips rows another replica is sweeping.
 */
export function startHoldSweeper(ledger: StockLedger, intervalMs: number, log: Logger): Periodic {
  return startPeriodic(
    'stock hold sweeper',
    intervalMs,
    async () => {
      const expired = await ledger.expireHolds(BATCH);
      if (expired.length > 0) {
        log.warn(
          { orders: expired.slice(0, 20), count: expired.length },
          'stock holds expired unclaimed; their units are back on sale',
        );
      }
      return expired.length === BATCH;
    },
    log,
  );
}
