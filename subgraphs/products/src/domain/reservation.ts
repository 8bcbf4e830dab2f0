import { BadUserInputError, ConflictError, ErrorCode, ShopError } from '@shop/errors';
import { isObjectId, MAX_STOCK } from './product';

/** Where a reservation stands. */
export const ReservationStatus = {
  /** Units held for an unpaid order. */
  RESERVED: 'RESERVED',
  COMMITTED: 'COMMITTED',
  RELEASED: 'RELEASED',
  /** Sold, then given back to stock (a paid order cancelled before it was shipped). */
  RESTOCKED: 'RESTOCKED',
  /** Held, but no order claimed the units within the claim window: back on sale. */
  EXPIRED: 'EXPIRED',
} as const;
export type ReservationStatus = (typeof ReservationStatus)[keyof typeof ReservationStatus];

export interface StockLine {
  productId: string;
  quantity: number;
}

export const MAX_RESERVATION_LINES = 100;

export function checkOrderId(orderId: string): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(orderId)) {
    throw new BadUserInputError(
      'orderId must be 1 to 128 letters, digits, ".", "_", ":" or "-".',
      'orderId',
    );
  }
  return orderId;
}

/**
 * Validates a reservation's lines and puts them in canonical form: one line per product
 * (quantities of repeated products added up), sorted by product id. The sort is also the
 * order in which products are locked, so two reservations never wait on each other.
 */
export function normaliseLines(lines: readonly StockLine[]): StockLine[] {
  if (lines.length === 0) {
    throw new BadUserInputError('A reservation needs at least one line.', 'lines');
  }
  if (lines.length > MAX_RESERVATION_LINES) {
    throw new BadUserInputError(
      `A reservation has at most ${MAX_RESERVATION_LINES} lines.`,
      'lines',
    );
  }
  const byProduct = new Map<string, number>();
  lines.forEach((line, i) => {
    if (!isObjectId(line.productId)) {
      throw new BadUserInputError('There is no such product.', `lines.${i}.productId`);
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_STOCK) {
      throw new BadUserInputError(
        'quantity must be a whole number of 1 or more.',
        `lines.${i}.quantity`,
      );
    }
    const id = line.productId.toLowerCase();
    const total = (byProduct.get(id) ?? 0) + line.quantity;
    if (total > MAX_STOCK) {
      throw new BadUserInputError('quantity is too large.', `lines.${i}.quantity`);
    }
    byProduct.set(id, total);
  });
  return [...byProduct.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

export function sameLines(a: readonly StockLine[], b: readonly StockLine[]): boolean {
  return (
    a.length === b.length &&
    a.every((line, i) => line.productId === b[i]?.productId && line.quantity === b[i]?.quantity)
  );
}

/**
 * One kind of change of a reservation (release, commit, restock, claim): the statuses it
 * applies to, where it leads and what happens to the units (+1 back to stock, 0 nothing).
 * `settle` says what an earlier status means when the change did not apply: already done
 * (a repeat), or refused with a message the calling service can log and act on.
 */
export interface StockMove {
  from: readonly ReservationStatus[];
  to: ReservationStatus;
  units: 0 | 1;
  settle(previous: ReservationStatus, orderId: string): 'done';
}

const { RESERVED, COMMITTED, RELEASED, RESTOCKED, EXPIRED } = ReservationStatus;

/** The hold ran out before any order claimed it; the units were put back on sale. */
export function holdExpired(orderId: string): ShopError {
  return new ShopError(
    ErrorCode.CONFLICT,
    `The stock held for order ${orderId} expired: no order claimed it in time, so its ` +
      'units went back on sale. Reserve again for a new order.',
    { field: 'orderId', reason: 'HOLD_EXPIRED' },
  );
}

/**
 * releaseStock: held units go back; releasing again, or after the hold expired, changes
 * nothing. Units of a committed reservation are sold: restockStock gives them back.
 */
export const release: StockMove = {
  from: [RESERVED],
  to: RELEASED,
  units: 1,
  settle(previous, orderId) {
    if (previous === RELEASED || previous === EXPIRED) return 'done';
    throw new ConflictError(
      `The stock of order ${orderId} is committed and can no longer be released; ` +
        'restockStock gives sold units back.',
      'orderId',
    );
  },
};

/** commitStock: the order is paid, held units are sold; committing again changes nothing. */
export const commit: StockMove = {
  from: [RESERVED],
  to: COMMITTED,
  units: 0,
  settle(previous, orderId) {
    if (previous === COMMITTED) return 'done';
    if (previous === EXPIRED) throw holdExpired(orderId);
    throw new ConflictError(
      `The stock of order ${orderId} was given back and can no longer be committed.`,
      'orderId',
    );
  },
};

/**
 * restockStock: sold units come back (the paid order was cancelled before it shipped);
 * restocking again changes nothing. Units never sold are released, not restocked.
 */
export const restock: StockMove = {
  from: [COMMITTED],
  to: RESTOCKED,
  units: 1,
  settle(previous, orderId) {
    if (previous === RESTOCKED) return 'done';
    throw new ConflictError(
      `The stock of order ${orderId} was never sold (it is ${previous.toLowerCase()}); ` +
        'releaseStock gives held units back.',
      'orderId',
    );
  },
};

/**
 * claimStock: the order now exists, so its held units no longer expire. Claiming again,
 * or once paid, changes nothing; an expired hold is taken again if the units are still
 * there (see StockService.claim); a released or restocked one is refused.
 */
export const claim: StockMove = {
  from: [RESERVED],
  to: RESERVED,
  units: 0,
  settle(previous, orderId) {
    if (previous === COMMITTED) return 'done';
    throw new ConflictError(
      `The stock of order ${orderId} was given back (${previous.toLowerCase()}) and can no ` +
        'longer be claimed.',
      'orderId',
    );
  },
};
