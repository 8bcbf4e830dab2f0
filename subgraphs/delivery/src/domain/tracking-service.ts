import { isUuid } from '@shop/subgraph-kit';
import { NotFoundError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { Label } from '../carrier/carrier';
import type { CarrierEvent } from '../carrier/webhook';
import type { DeliveryEvents } from '../events/delivery-events';
import { isUniqueViolation, type PrismaClient } from '../store/prisma';
import type { DeliveryUpdateRecord, ShipmentRecord, ShipmentStore } from '../store/shipment';
import { canTransition, transition, type DeliveryStatus } from './shipment-status';
import { cleanCarrierText, reportedEvent } from './tracking-event';

/** What a carrier webhook event did. */
export type CarrierEventOutcome =
  | { kind: 'applied'; shipmentId: string }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unknown-tracking-number' }
  | { kind: 'illegal'; shipmentId: string; from: DeliveryStatus; to: DeliveryStatus };

/** What cancelling an order's shipment did. */
export type ShipmentCancellation =
  | { kind: 'no-shipment' }
  | { kind: 'cancelled'; shipment: ShipmentRecord }
  | { kind: 'too-late'; shipment: ShipmentRecord };

/**
 * Every change of a shipment's status: the label, courier events, carrier events. Each runs
 * in one transaction that locks the shipment row, checks the step against the status it
 * finds, stores the event, moves the shipment and writes the shipment.updated outbox row;
 * only after the commit is the event published to subscribers.
 */
export class TrackingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly shipments: ShipmentStore,
    private readonly events: DeliveryEvents,
    private readonly log: Logger,
  ) {}

  /** recordTrackingEvent: a COURIER's or ADMIN's step (the caller checked the role). */
  async record(
    shipmentId: string,
    input: { status: DeliveryStatus; location?: string | null; note?: string | null },
    recordedBy: string,
  ): Promise<ShipmentRecord> {
    if (!isUuid(shipmentId)) throw new NotFoundError('Shipment', shipmentId);
    const event = reportedEvent({ ...input, at: new Date() }, { fields: 'input.' });
    const update = await this.prisma.$transaction(async (tx) => {
      const shipment = await this.shipments.lock(tx, shipmentId);
      if (!shipment) throw new NotFoundError('Shipment', shipmentId);
      transition(shipment.id, shipment.status as DeliveryStatus, event.status);
      return this.shipments.applyEvent(tx, shipment, event, {
        source: 'COURIER',
        courier: recordedBy,
      });
    });
    await this.announce(update);
    return update.shipment;
  }

  /**
   * A carrier webhook event, applied once per carrier event id: the id is checked under the
   * shipment's row lock (so concurrent deliveries of one event queue up and all but the first
   * find it stored), and its unique index catches anything that slips past.
   */
  async carrierEvent(input: CarrierEvent): Promise<CarrierEventOutcome> {
    if (input.status === 'LABEL_CREATED') {
      // We bought that label ourselves; the carrier's echo of it adds nothing.
      return { kind: 'ignored', reason: 'LABEL_CREATED is recorded when the label is bought' };
    }
    if (input.status === 'CANCELLED') {
      // A shipment is cancelled by the shop with its order; the carrier's confirmation of
      // the void (or its own word for a cancelled label) changes nothing here.
      return { kind: 'ignored', reason: 'CANCELLED is recorded when the order is cancelled' };
    }
    const event = reportedEvent({
      status: input.status,
      location: cleanCarrierText(input.location, { multiline: false }),
      note: cleanCarrierText(input.note, { multiline: true }),
      at: new Date(input.occurredAt),
    });
    let result: CarrierEventOutcome | { kind: 'applied'; update: DeliveryUpdateRecord };
    try {
      result = await this.prisma.$transaction(async (tx) => {
        const shipment = await this.shipments.lockByTrackingNumber(tx, input.trackingNumber);
        if (!shipment) return { kind: 'unknown-tracking-number' as const };
        if (await this.shipments.hasExternalEvent(tx, input.id)) {
          return { kind: 'duplicate' as const };
        }
        const from = shipment.status as DeliveryStatus;
        if (!canTransition(from, event.status)) {
          return { kind: 'illegal' as const, shipmentId: shipment.id, from, to: event.status };
        }
        const update = await this.shipments.applyEvent(tx, shipment, event, {
          source: 'CARRIER',
          externalEventId: input.id,
        });
        return { kind: 'applied' as const, update };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return { kind: 'duplicate' };
    }
    if (result.kind !== 'applied' || !('update' in result)) return result;
    await this.announce(result.update);
    return { kind: 'applied', shipmentId: result.update.shipment.id };
  }

  /**
   * The label job's result: PENDING → LABEL_CREATED with the carrier and tracking number.
   * A shipment that already has its label is left alone (the job ran twice). A shipment
   * cancelled while the label was being bought keeps its status and records the label, so
   * that the caller voids it (`cancelled: true`).
   */
  async labelCreated(
    shipmentId: string,
    label: Label,
  ): Promise<{ shipment: ShipmentRecord; cancelled: boolean }> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const shipment = await this.shipments.lock(tx, shipmentId);
      if (!shipment) throw new NotFoundError('Shipment', shipmentId);
      if (shipment.status === 'CANCELLED') {
        const labelled = shipment.trackingNumber
          ? shipment
          : await this.shipments.attachLabel(tx, shipment.id, label);
        return { kind: 'cancelled' as const, shipment: labelled };
      }
      if (shipment.status !== 'PENDING') return { kind: 'already' as const, shipment };
      const update = await this.shipments.applyEvent(
        tx,
        shipment,
        { status: 'LABEL_CREATED', location: null, note: null, at: new Date() },
        { source: 'CARRIER', label },
      );
      return { kind: 'created' as const, update };
    });
    if (outcome.kind !== 'created') {
      return { shipment: outcome.shipment, cancelled: outcome.kind === 'cancelled' };
    }
    await this.announce(outcome.update);
    return { shipment: outcome.update.shipment, cancelled: false };
  }

  /**
   * The order's shipment will not be sent (its order was cancelled or refunded): PENDING or
   * LABEL_CREATED → CANCELLED, with `label` recorded when one was bought a moment ago and
   * the shipment does not know it yet. A parcel the carrier has (PICKED_UP and later) is
   * left as it is: `too-late`. The caller voids the label of a cancelled shipment.
   */
  async cancelForOrder(
    orderId: string,
    why: 'cancelled' | 'refunded',
    label?: Label,
  ): Promise<ShipmentCancellation> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const shipment = await this.shipments.lockByOrderId(tx, orderId);
      if (!shipment) return { kind: 'no-shipment' as const };
      const from = shipment.status as DeliveryStatus;
      if (from === 'CANCELLED') {
        const labelled =
          label && !shipment.trackingNumber
            ? await this.shipments.attachLabel(tx, shipment.id, label)
            : shipment;
        return { kind: 'cancelled' as const, shipment: labelled, update: null };
      }
      if (!canTransition(from, 'CANCELLED')) return { kind: 'too-late' as const, shipment };
      const update = await this.shipments.applyEvent(
        tx,
        shipment,
        {
          status: 'CANCELLED',
          location: null,
          note: `The order was ${why} before the parcel was picked up; it will not be sent.`,
          at: new Date(),
        },
        // A label the shipment already has stays recorded; one bought meanwhile is added.
        { source: 'SHOP', ...(label && !shipment.trackingNumber ? { label } : {}) },
      );
      return { kind: 'cancelled' as const, shipment: update.shipment, update };
    });
    if (outcome.kind === 'cancelled' && outcome.update) await this.announce(outcome.update);
    return outcome.kind === 'no-shipment'
      ? outcome
      : { kind: outcome.kind, shipment: outcome.shipment };
  }

  /** The carrier confirmed the void of a cancelled shipment's label. */
  labelVoided(shipmentId: string): Promise<void> {
    return this.shipments.labelVoided(shipmentId, new Date());
  }

  private async announce(update: DeliveryUpdateRecord): Promise<void> {
    this.log.info(
      {
        shipmentId: update.shipment.id,
        orderId: update.shipment.orderId,
        status: update.event.status,
      },
      'shipment status changed',
    );
    await this.events.publish(update);
  }
}
