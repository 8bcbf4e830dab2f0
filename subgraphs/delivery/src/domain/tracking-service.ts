import { NotFoundError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { Label } from '../carrier/carrier';
import type { CarrierEvent } from '../carrier/webhook';
import type { DeliveryEvents } from '../events/delivery-events';
import { isUniqueViolation, type PrismaClient } from '../store/prisma';
import type { DeliveryUpdateRecord, ShipmentRecord, ShipmentStore } from '../store/shipment';
import { canTransition, transition, type DeliveryStatus } from './shipment-status';
import { cleanCarrierText, isUuid, reportedEvent } from './tracking-event';

/** What a carrier webhook event did. */
export type CarrierEventOutcome =
  | { kind: 'applied'; shipmentId: string }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unknown-tracking-number' }
  | { kind: 'illegal'; shipmentId: string; from: DeliveryStatus; to: DeliveryStatus };

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
   * A shipment that already has its label is left alone (the job ran twice).
   */
  async labelCreated(shipmentId: string, label: Label): Promise<ShipmentRecord> {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const shipment = await this.shipments.lock(tx, shipmentId);
      if (!shipment) throw new NotFoundError('Shipment', shipmentId);
      if (shipment.status !== 'PENDING') return { kind: 'already' as const, shipment };
      const update = await this.shipments.applyEvent(
        tx,
        shipment,
        { status: 'LABEL_CREATED', location: null, note: null, at: new Date() },
        { source: 'CARRIER', label },
      );
      return { kind: 'created' as const, update };
    });
    if (outcome.kind === 'already') return outcome.shipment;
    await this.announce(outcome.update);
    return outcome.update.shipment;
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
