import { BadUserInputError } from '@shop/errors';
import { StateMachine } from '@shop/state-machine';
import {
  DELIVERY_STATUSES as ANNOUNCED_STATUSES,
  type DeliveryStatus as Announced,
} from '@shop/queues';

/**
 * Every status a shipment can have: the ones announced to orders and notifications in
 * `shipment.updated` (@shop/queues), and CANCELLED, which stays in delivery. A shipment is
 * cancelled because its order was cancelled or refunded: orders already knows, and the
 * customer already got the cancellation or refund message, so nobody else acts on it (and
 * a consumer deployed before CANCELLED existed would fail the job as a bad payload).
 */
export const DELIVERY_STATUSES = [...ANNOUNCED_STATUSES, 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Whether a status change is announced to the other services (`shipment.updated`). */
export function isAnnounced(status: string): status is Announced {
  return (ANNOUNCED_STATUSES as readonly string[]).includes(status);
}

/**
 * Every legal step of a shipment, and nothing else:
 *
 *   PENDING → LABEL_CREATED → PICKED_UP → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED
 *   PICKED_UP → OUT_FOR_DELIVERY            a local parcel goes straight to the van
 *   IN_TRANSIT → IN_TRANSIT                 one event per hub the parcel is scanned at
 *   OUT_FOR_DELIVERY → FAILED_ATTEMPT       nobody home
 *   FAILED_ATTEMPT → OUT_FOR_DELIVERY       the next attempt
 *   FAILED_ATTEMPT → IN_TRANSIT             back to the depot, or on to a pick-up point
 *   IN_TRANSIT | FAILED_ATTEMPT → RETURNED  sent back to the shop (refused, undeliverable)
 *   PENDING | LABEL_CREATED → CANCELLED     the order was cancelled or refunded before pickup
 *
 * DELIVERED, RETURNED and CANCELLED are final: nothing happens to a parcel after it arrived somewhere
 * for good. A parcel the carrier has not picked up cannot be in transit; a parcel not yet
 * out for delivery cannot be delivered or missed; a parcel cannot return without travelling.
 * PENDING is where a shipment starts and is never entered again.
 */
const SHIPMENT_MOVES = new StateMachine<DeliveryStatus>({
  PENDING: ['LABEL_CREATED', 'CANCELLED'],
  LABEL_CREATED: ['PICKED_UP', 'CANCELLED'],
  PICKED_UP: ['IN_TRANSIT', 'OUT_FOR_DELIVERY'],
  IN_TRANSIT: ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'RETURNED'],
  OUT_FOR_DELIVERY: ['DELIVERED', 'FAILED_ATTEMPT'],
  FAILED_ATTEMPT: ['OUT_FOR_DELIVERY', 'IN_TRANSIT', 'RETURNED'],
  DELIVERED: [],
  RETURNED: [],
  CANCELLED: [],
});

/**
 * Statuses only delivery itself sets: LABEL_CREATED comes with a label (its carrier and
 * tracking number), which the label job asks the carrier for; CANCELLED with the order's
 * cancellation; PENDING is never re-entered.
 */
export const SET_BY_DELIVERY: readonly DeliveryStatus[] = ['PENDING', 'LABEL_CREATED', 'CANCELLED'];

/** What couriers and carrier webhooks may report. */
export const REPORTABLE_STATUSES: readonly DeliveryStatus[] = DELIVERY_STATUSES.filter(
  (s) => !SET_BY_DELIVERY.includes(s),
);

export function canTransition(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return SHIPMENT_MOVES.can(from, to);
}

export function nextStatuses(from: DeliveryStatus): readonly DeliveryStatus[] {
  return SHIPMENT_MOVES.nextFrom(from);
}

/**
 * The statuses from which `to` is a legal step: the same rules as canTransition, in the
 * form a single UPDATE checks them (`WHERE status = ANY(…)`) under the row's lock.
 */
export function previousStatuses(to: DeliveryStatus): readonly DeliveryStatus[] {
  return SHIPMENT_MOVES.previousOf(to);
}

export function isFinal(status: DeliveryStatus): boolean {
  return SHIPMENT_MOVES.isFinal(status);
}

/** A step the shipment's status forbids; names both states and what is possible instead. */
export class IllegalDeliveryTransitionError extends BadUserInputError {
  constructor(
    readonly shipmentId: string,
    readonly from: DeliveryStatus,
    readonly to: DeliveryStatus,
  ) {
    super(SHIPMENT_MOVES.refusal(`Shipment ${shipmentId}`, from, to), 'status');
    this.extensions.from = from;
    this.extensions.to = to;
  }
}

/** Returns `to` when the step is legal, throws IllegalDeliveryTransitionError otherwise. */
export function transition(
  shipmentId: string,
  from: DeliveryStatus,
  to: DeliveryStatus,
): DeliveryStatus {
  if (!canTransition(from, to)) throw new IllegalDeliveryTransitionError(shipmentId, from, to);
  return to;
}
