import { BadUserInputError, ConflictError } from '@shop/errors';
import { isObjectId, MAX_STOCK } from './product';

/**
 * Where a reservation stands. PENDING is internal: it marks a reservation whose product
 * updates are under way (or were interrupted by a crash) and is never returned.
 */
export const ReservationStatus = {
  PENDING: 'PENDING',
  RESERVED: 'RESERVED',
  COMMITTED: 'COMMITTED',
  RELEASED: 'RELEASED',
  /** Sold, then given back to stock (a paid order cancelled before it was shipped). */
  RESTOCKED: 'RESTOCKED',
} as const;
export type ReservationStatus = (typeof ReservationStatus)[keyof typeof ReservationStatus];

export interface StockLine {
  productId: string;
  quantity: number;
}

/**
 * Units a product holds for one order. Kept on the product document itself, next to the
 * stock, so "take q units" and "order X holds q units" are one single-document write:
 * a repeated or resumed reserve/release/commit can always tell what was already done.
 */
export interface Hold {
  orderId: string;
  quantity: number;
}

export interface StockState {
  stock: number;
  holds: Hold[];
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

export type HoldOutcome =
  | { kind: 'held'; state: StockState }
  | { kind: 'already-held'; state: StockState }
  | { kind: 'insufficient'; available: number };

/** Takes `quantity` units for the order, unless it already holds them or too few are left. */
export function placeHold(state: StockState, orderId: string, quantity: number): HoldOutcome {
  if (state.holds.some((h) => h.orderId === orderId)) return { kind: 'already-held', state };
  if (state.stock < quantity) return { kind: 'insufficient', available: Math.max(0, state.stock) };
  return {
    kind: 'held',
    state: { stock: state.stock - quantity, holds: [...state.holds, { orderId, quantity }] },
  };
}

/** Gives the order's held units back to stock; null when the order holds nothing here. */
export function releaseHold(state: StockState, orderId: string): StockState | null {
  const hold = state.holds.find((h) => h.orderId === orderId);
  if (!hold) return null;
  return {
    stock: state.stock + hold.quantity,
    holds: state.holds.filter((h) => h.orderId !== orderId),
  };
}

/** The order is paid: its units are sold, the hold goes; null when there is none. */
export function commitHold(state: StockState, orderId: string): StockState | null {
  if (!state.holds.some((h) => h.orderId === orderId)) return null;
  return { stock: state.stock, holds: state.holds.filter((h) => h.orderId !== orderId) };
}

export type Transition = { kind: 'apply' } | { kind: 'done' };

/**
 * releaseStock: a held (or half-made) reservation is released; releasing again changes
 * nothing. Units of a committed reservation are sold: they come back through adjustStock
 * (a return), never through release, so that is refused.
 */
export function releaseTransition(status: ReservationStatus, orderId: string): Transition {
  switch (status) {
    case ReservationStatus.PENDING:
    case ReservationStatus.RESERVED:
      return { kind: 'apply' };
    case ReservationStatus.RELEASED:
      return { kind: 'done' };
    case ReservationStatus.COMMITTED:
    case ReservationStatus.RESTOCKED:
      throw new ConflictError(
        `The stock of order ${orderId} is committed and can no longer be released; ` +
          'restockStock gives sold units back.',
        'orderId',
      );
  }
}

/** commitStock: held → committed; committing again changes nothing; released is refused. */
export function commitTransition(status: ReservationStatus, orderId: string): Transition {
  switch (status) {
    case ReservationStatus.RESERVED:
      return { kind: 'apply' };
    case ReservationStatus.COMMITTED:
      return { kind: 'done' };
    case ReservationStatus.RELEASED:
    case ReservationStatus.RESTOCKED:
      throw new ConflictError(
        `The stock of order ${orderId} was given back and can no longer be committed.`,
        'orderId',
      );
    case ReservationStatus.PENDING:
      throw new ConflictError(
        `The reservation of order ${orderId} is incomplete; repeat reserveStock first.`,
        'orderId',
      );
  }
}

/**
 * restockStock: sold units come back (the paid order was cancelled before it shipped);
 * restocking again changes nothing. Units still held are released, not restocked.
 */
export function restockTransition(status: ReservationStatus, orderId: string): Transition {
  switch (status) {
    case ReservationStatus.COMMITTED:
      return { kind: 'apply' };
    case ReservationStatus.RESTOCKED:
      return { kind: 'done' };
    case ReservationStatus.PENDING:
    case ReservationStatus.RESERVED:
    case ReservationStatus.RELEASED:
      throw new ConflictError(
        `The stock of order ${orderId} was never sold (it is ${status.toLowerCase()}); ` +
          'releaseStock gives held units back.',
        'orderId',
      );
  }
}

/** A product remembers the orders it took units back from, so a repeat adds nothing. */
export interface Restock {
  orderId: string;
  at: Date;
}

/**
 * How long a product remembers a restock. A restock is only repeated by a retry of the same
 * cancellation (minutes, at worst days), so older entries are dropped as others are added.
 */
export const RESTOCK_MEMORY_MS = 30 * 24 * 3600 * 1000;

/** Adds an order's sold units back; null when this product already took them back. */
export function restockUnits(
  product: { stock: number; restocks: readonly Restock[] },
  orderId: string,
  quantity: number,
  now: Date,
): { stock: number; restocks: Restock[] } | null {
  if (product.restocks.some((r) => r.orderId === orderId)) return null;
  const recent = product.restocks.filter((r) => now.getTime() - r.at.getTime() < RESTOCK_MEMORY_MS);
  return { stock: product.stock + quantity, restocks: [...recent, { orderId, at: now }] };
}

/** What planning a reservation needs to know about each product. */
export interface StockedProduct extends StockState {
  id: string;
  name: string;
  active: boolean;
  deletedAt: Date | null;
}

export type ReservationPlan =
  | { kind: 'ok'; writes: { productId: string; state: StockState }[] }
  | { kind: 'unknown'; productId: string }
  | { kind: 'unavailable'; productId: string; name: string; available: number };

/**
 * Decides a whole reservation before anything is written: either the new stock state of
 * every product that still has to give units, or the first line that cannot be served.
 * Lines this order already holds (a repeated or resumed reserve) need no write. Inactive
 * and deleted products cannot be bought: 0 available.
 */
export function planReservation(
  lines: readonly StockLine[],
  products: readonly StockedProduct[],
  orderId: string,
): ReservationPlan {
  const byId = new Map(products.map((p) => [p.id, p]));
  const writes: { productId: string; state: StockState }[] = [];
  for (const line of lines) {
    const product = byId.get(line.productId);
    if (!product) return { kind: 'unknown', productId: line.productId };
    const purchasable = product.active && product.deletedAt === null;
    const outcome: HoldOutcome =
      purchasable || product.holds.some((h) => h.orderId === orderId)
        ? placeHold(product, orderId, line.quantity)
        : { kind: 'insufficient', available: 0 };
    if (outcome.kind === 'insufficient') {
      return {
        kind: 'unavailable',
        productId: product.id,
        name: product.name,
        available: outcome.available,
      };
    }
    if (outcome.kind === 'held') writes.push({ productId: product.id, state: outcome.state });
  }
  return { kind: 'ok', writes };
}
