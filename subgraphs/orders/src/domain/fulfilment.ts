import type { DeliveryStatus } from '@shop/queues';
import { OrderStatus } from './order-status';

/**
 * What a shipment's progress (reported by delivery through the `shipment.updated` job)
 * means for its order:
 *
 *   LABEL_CREATED                           → FULFILLING (the parcel is being prepared)
 *   PICKED_UP | IN_TRANSIT | OUT_FOR_DELIVERY → SHIPPED
 *   DELIVERED                               → DELIVERED
 *   PENDING | FAILED_ATTEMPT | RETURNED     → no change (a return is settled by a refund)
 */
const TARGET: Readonly<Record<DeliveryStatus, OrderStatus | null>> = {
  PENDING: null,
  LABEL_CREATED: OrderStatus.FULFILLING,
  PICKED_UP: OrderStatus.SHIPPED,
  IN_TRANSIT: OrderStatus.SHIPPED,
  OUT_FOR_DELIVERY: OrderStatus.SHIPPED,
  DELIVERED: OrderStatus.DELIVERED,
  FAILED_ATTEMPT: null,
  RETURNED: null,
};

/** The fulfilment path, in order; an order moves only forwards along it. */
const PATH: readonly OrderStatus[] = [
  OrderStatus.PAID,
  OrderStatus.FULFILLING,
  OrderStatus.SHIPPED,
  OrderStatus.DELIVERED,
];

/**
 * The statuses an order at `current` goes through to follow a shipment at `shipment`,
 * each a legal single step (PAID → FULFILLING → SHIPPED, never a jump). Empty when nothing
 * changes: the shipment status says nothing about the order, the order is already there or
 * further (jobs may arrive out of order or twice), or it left the path (CANCELLED,
 * REFUNDED, or still PENDING_PAYMENT, which delivery never sees).
 */
export function fulfilmentSteps(current: OrderStatus, shipment: DeliveryStatus): OrderStatus[] {
  const target = TARGET[shipment];
  const from = PATH.indexOf(current);
  if (!target || from === -1) return [];
  const to = PATH.indexOf(target);
  return to > from ? PATH.slice(from + 1, to + 1) : [];
}
