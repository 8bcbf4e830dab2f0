import { ConflictError } from '@shop/errors';
import { StateMachine } from '@shop/state-machine';

/** The states of an order (docs/api.md: enum OrderStatus). */
export const OrderStatus = {
  PENDING_PAYMENT: 'PENDING_PAYMENT',
  PAID: 'PAID',
  FULFILLING: 'FULFILLING',
  SHIPPED: 'SHIPPED',
  DELIVERED: 'DELIVERED',
  CANCELLED: 'CANCELLED',
  REFUNDED: 'REFUNDED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
export const ORDER_STATUSES: readonly OrderStatus[] = Object.values(OrderStatus);

/**
 * Every legal move, and nothing else:
 *
 *   PENDING_PAYMENT → PAID → FULFILLING → SHIPPED → DELIVERED
 *   PENDING_PAYMENT | PAID → CANCELLED   (a paid order is refunded as it is cancelled)
 *   PAID | FULFILLING | SHIPPED | DELIVERED → REFUNDED
 *
 * REFUNDED is reachable from every state in which money was taken, DELIVERED included
 * (returns, chargebacks): Stripe reports a refund whenever it happens, and the order must
 * reflect it. A PENDING_PAYMENT order has taken no money, so it is CANCELLED, not refunded.
 * CANCELLED and REFUNDED are final. Once the parcel has left (FULFILLING onwards) an order
 * can no longer be cancelled, only refunded.
 */
const ORDER_MOVES = new StateMachine<OrderStatus>({
  PENDING_PAYMENT: [OrderStatus.PAID, OrderStatus.CANCELLED],
  PAID: [OrderStatus.FULFILLING, OrderStatus.CANCELLED, OrderStatus.REFUNDED],
  FULFILLING: [OrderStatus.SHIPPED, OrderStatus.REFUNDED],
  SHIPPED: [OrderStatus.DELIVERED, OrderStatus.REFUNDED],
  DELIVERED: [OrderStatus.REFUNDED],
  CANCELLED: [],
  REFUNDED: [],
});

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_MOVES.can(from, to);
}

export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return ORDER_MOVES.nextFrom(from);
}

/** A refused status change; CONFLICT, because the order's current state is what forbids it. */
export class IllegalTransitionError extends ConflictError {
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(ORDER_MOVES.refusal(`Order ${orderId}`, from, to));
    this.extensions.from = from;
    this.extensions.to = to;
  }
}

/** Returns `to` when the move is legal, throws IllegalTransitionError otherwise. */
export function transition(orderId: string, from: OrderStatus, to: OrderStatus): OrderStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(orderId, from, to);
  return to;
}
