import { isUuid } from '@shop/subgraph-kit';
import { NotFoundError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { Label } from '../carrier/carrier';
import type { CarrierEvent } from '../carrier/webhook';
import type { DeliveryEvents } from '../events/delivery-events';
import { isUniqueViolation, type PrismaClient } from '../store/prisma';
import type { DeliveryUpdateRecord, ShipmentRecord, ShipmentStore } from '../store/shipment';
import { isLockTimeout, type ReportedStep, type TrackingWrites } from '../store/tracking-writes';
import {
  canTransition,
  IllegalDeliveryTransitionError,
  type DeliveryStatus,
} from '../domain/shipment-status';
import { cleanCarrierText, reportedEvent } from '../domain/tracking-event';
import type { WriteQueue } from './write-queue';

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

/** A step found illegal may have become legal meanwhile (a concurrent step): try again. */
const MAX_STEP_ATTEMPTS = 3;

/**
 * Every change of a shipment's status: the label, courier events, carrier events. Each runs
 * in one transaction that locks the shipment row, checks the step against the status it
 * finds, stores the event, moves the shipment and writes the shipment.updated outbox row;
 * only after the commit is the event published to subscribers. Courier and carrier events,
 * which come in bursts, are one statement each (TrackingWrites.step) admitted through a
 * bounded WriteQueue; the label and cancellation, one per shipment, are interactive
 * transactions.
 */

export class TrackingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly shipments: ShipmentStore,
    private readonly events: DeliveryEvents,
    private readonly steps: TrackingWrites,
    private readonly writes: WriteQueue,
    private readonly log: Logger,
  ) {}

  /**
   * recordTrackingEvent: a COURIER's or ADMIN's step (the caller checked the role). Throws
   * WritesOverloadedError (SERVICE_UNAVAILABLE, retryable) when too many are waiting.
   */
  async record(
    shipmentId: string,
    input: { status: DeliveryStatus; location?: string | null; note?: string | null },
    recordedBy: string,
  ): Promise<ShipmentRecord> {
    if (!isUuid(shipmentId)) throw new NotFoundError('Shipment', shipmentId);
    const event = reportedEvent({ ...input, at: new Date() }, { fields: 'input.' });
    const step: ReportedStep = {
      shipment: { id: shipmentId },
      event,
      origin: { source: 'COURIER', courier: recordedBy },
    };
    const update = await this.writes.run(
      shipmentId,
      async () => {
        for (let attempt = 1; ; attempt++) {
          const applied = await this.apply(step);
          if (applied) return applied;
          const { shipment } = await this.steps.refusal(step);
          if (!shipment) throw new NotFoundError('Shipment', shipmentId);
          // Legal now: another step moved the shipment between the two statements.
          if (attempt === MAX_STEP_ATTEMPTS || !canTransition(shipment.status, event.status)) {
            throw new IllegalDeliveryTransitionError(shipment.id, shipment.status, event.status);
          }
        }
      },
      (applied) => this.announce(applied),
    );
    return update.shipment;
  }

  /**
   * A carrier webhook event, applied once per carrier event id: the step's statement skips
   * an id already stored, and the id's unique index refuses one stored by a concurrent
   * delivery of the same event (a duplicate either way). Events of one tracking number
   * queue up in this process. Throws WritesOverloadedError when too many are waiting.
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
    const step: ReportedStep = {
      shipment: { trackingNumber: input.trackingNumber },
      event,
      origin: { source: 'CARRIER', externalEventId: input.id },
    };
    const result = await this.writes.run(
      `tracking-number:${input.trackingNumber}`,
      async (): Promise<CarrierEventOutcome | DeliveryUpdateRecord> => {
        for (let attempt = 1; ; attempt++) {
          try {
            const applied = await this.apply(step);
            if (applied) return applied;
          } catch (error) {
            if (isUniqueViolation(error)) return { kind: 'duplicate' };
            throw error;
          }
          const { shipment, duplicate } = await this.steps.refusal(step);
          if (!shipment) return { kind: 'unknown-tracking-number' };
          if (duplicate) return { kind: 'duplicate' };
          const from = shipment.status;
          if (attempt === MAX_STEP_ATTEMPTS || !canTransition(from, event.status)) {
            return { kind: 'illegal', shipmentId: shipment.id, from, to: event.status };
          }
        }
      },
      async (outcome) => {
        if ('shipment' in outcome) await this.announce(outcome);
      },
    );
    return 'shipment' in result ? { kind: 'applied', shipmentId: result.shipment.id } : result;
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

  /** One step's statement; a row lock held too long by another session is a retryable refusal. */
  private async apply(step: ReportedStep): Promise<DeliveryUpdateRecord | null> {
    try {
      return await this.steps.step(step);
    } catch (error) {
      if (isLockTimeout(error)) throw this.writes.refusal();
      throw error;
    }
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
