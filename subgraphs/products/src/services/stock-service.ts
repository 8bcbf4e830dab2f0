import { BadUserInputError, ConflictError, NotFoundError, OutOfStockError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { ProductRecord, ProductStore } from '../store/product';
import { isLedgerBusy, type ReservationRecord, type StockLedger } from '../store/stock-ledger';
import { adjustedStock, checkStockDelta, isObjectId, MAX_STOCK } from '../domain/product';
import {
  checkOrderId,
  claim,
  commit,
  holdExpired,
  normaliseLines,
  release,
  ReservationStatus,
  restock,
  sameLines,
  type StockLine,
  type StockMove,
} from '../domain/reservation';

/** Lock key of a product's catalog document (catalog edits and the stock mirror). */
export const productLock = (productId: string) => `product:${productId}`;

export interface StockOptions {
  /** How long a new hold waits for its order to claim it before going back on sale. */
  claimWithinMs: number;
}

/**
 * Stock changes: administrators' adjustments and the reservations that checkout makes.
 * Units live in the PostgreSQL ledger (docs/adr/0006); every change here is one atomic
 * ledger call, so this class holds no locks and only turns outcomes into answers.
 */
export class StockService {
  constructor(
    private readonly ledger: StockLedger,
    private readonly products: ProductStore,
    private readonly options: StockOptions,
    private readonly log: Logger,
  ) {}

  /** Units available now, per product id (0 for a product the ledger does not know). */
  async available(ids: readonly string[]): Promise<Map<string, number>> {
    return busyAsConflict(() => this.ledger.available(ids));
  }

  async adjustStock(productId: string, delta: number): Promise<ProductRecord> {
    if (!isObjectId(productId)) throw new NotFoundError('Product', productId);
    const [product] = await this.products.findByIds([productId]);
    if (!product || product.deletedAt) throw new NotFoundError('Product', productId);
    checkStockDelta(delta);
    const outcome = await busyAsConflict(() => this.ledger.adjust(productId, delta, MAX_STOCK));
    switch (outcome.kind) {
      case 'adjusted':
        return { ...product, stock: outcome.available };
      case 'refused':
        adjustedStock(outcome.available, delta); // throws the precise reason
        throw new Error(`stock adjustment of ${productId} refused for no known reason`);
      case 'missing':
        throw new NotFoundError('Product', productId);
    }
  }

  /**
   * All lines or none; a repeat with the same order id returns the existing reservation.
   * The hold expires unless the order claims it (claimStock) within the claim window.
   */
  async reserve(rawOrderId: string, rawLines: readonly StockLine[]): Promise<ReservationRecord> {
    const orderId = checkOrderId(rawOrderId);
    const lines = normaliseLines(rawLines);
    const outcome = await busyAsConflict(() =>
      this.ledger.reserve(orderId, lines, this.options.claimWithinMs),
    );
    switch (outcome.kind) {
      case 'reserved':
      case 'exists': {
        const found = await this.ledger.find(orderId);
        if (!found) throw new Error(`reservation ${orderId} vanished right after it was made`);
        if (!sameLines(found.lines, lines)) {
          throw new ConflictError(
            `Order ${orderId} already has a reservation with other lines; an order id reserves once.`,
            'orderId',
          );
        }
        if (outcome.kind === 'exists' && found.status === ReservationStatus.EXPIRED) {
          throw holdExpired(orderId);
        }
        return found;
      }
      case 'unknown':
        throw new BadUserInputError(`There is no product ${outcome.productId}.`, 'lines');
      case 'unavailable':
        throw await this.outOfStock(outcome.productId, outcome.available);
    }
  }

  /** Gives the units back. Releasing twice is fine; a committed reservation is refused. */
  release(orderId: string): Promise<ReservationRecord> {
    return this.apply(orderId, release);
  }

  /** The order is paid: the units are sold for good. Committing twice is fine. */
  commit(orderId: string): Promise<ReservationRecord> {
    return this.apply(orderId, commit);
  }

  /** A paid order was cancelled before it shipped: its sold units go back to stock. */
  restock(orderId: string): Promise<ReservationRecord> {
    return this.apply(orderId, restock);
  }

  /**
   * The order was written: its hold stops expiring. A claim that comes after the hold
   * expired (the order's service was down past the window) takes the units again if they
   * are still there, and is OUT_OF_STOCK otherwise.
   */
  async claim(rawOrderId: string): Promise<ReservationRecord> {
    const orderId = checkOrderId(rawOrderId);
    const first = await busyAsConflict(() =>
      this.ledger.move(orderId, claim.from, claim.to, claim.units),
    );
    if (first.previous === ReservationStatus.EXPIRED) {
      const again = await busyAsConflict(() =>
        this.ledger.move(orderId, [ReservationStatus.EXPIRED], ReservationStatus.RESERVED, -1),
      );
      if (again.short) throw await this.outOfStock(again.short.productId, again.short.available);
      if (again.previous === ReservationStatus.EXPIRED) {
        this.log.warn({ orderId }, 'a late claim took the units of an expired hold again');
      }
      return this.found(orderId);
    }
    return this.settled(orderId, claim, first.previous);
  }

  private async apply(rawOrderId: string, move: StockMove): Promise<ReservationRecord> {
    const orderId = checkOrderId(rawOrderId);
    const { previous } = await busyAsConflict(() =>
      this.ledger.move(orderId, move.from, move.to, move.units),
    );
    return this.settled(orderId, move, previous);
  }

  private async settled(
    orderId: string,
    move: StockMove,
    previous: ReservationStatus | null,
  ): Promise<ReservationRecord> {
    if (previous === null) throw new NotFoundError('Reservation for order', orderId);
    if (!move.from.includes(previous)) move.settle(previous, orderId);
    return this.found(orderId);
  }

  private async found(orderId: string): Promise<ReservationRecord> {
    const found = await this.ledger.find(orderId);
    if (!found) throw new NotFoundError('Reservation for order', orderId);
    return found;
  }

  private async outOfStock(productId: string, available: number): Promise<OutOfStockError> {
    const [product] = await this.products.findByIds([productId]);
    return new OutOfStockError(product?.name ?? productId, available, { productId });
  }
}

/**
 * A product row held by another writer past the ledger's lock_timeout (a stalled
 * transaction, a vacuum) is a fast CONFLICT the caller may retry, never a hang.
 */
async function busyAsConflict<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isLedgerBusy(error)) {
      throw new ConflictError(
        'This product is busy with other orders right now. Try again in a moment.',
      );
    }
    throw error;
  }
}
