import { randomUUID } from 'node:crypto';
import { JobName, outboxPayload, type JobData } from '@shop/queues';
import type { Prisma, PrismaClient, Shipment, TrackingEvent } from '../generated/prisma/client';
import { isAnnounced } from '../domain/shipment-status';
import type { ReportedEvent } from '../domain/tracking-event';

export type ShipmentRecord = Shipment;
export type TrackingEventRecord = TrackingEvent;
/** What the TrackingEvent type resolves from: a stored event, or one received on pub/sub. */
export type TrackingEventView = Pick<TrackingEvent, 'status' | 'location' | 'note' | 'at'>;
/** One event and the shipment as it is right after it (Subscription.deliveryUpdated). */
export interface DeliveryUpdateRecord {
  shipment: ShipmentRecord;
  event: TrackingEventView;
}
/** The client, or the transaction client inside `$transaction`. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** How an event came in, and what it changes besides the status. */
export interface EventOrigin {
  /** SHOP: delivery itself, cancelling a shipment with its order. */
  source: 'COURIER' | 'CARRIER' | 'SHOP';
  /** The carrier's event id (webhooks): unique, so the event is stored once. */
  externalEventId?: string;
  /** The COURIER who recorded it. */
  courier?: string;
  /** The label that LABEL_CREATED comes with (or CANCELLED, for a label bought meanwhile). */
  label?: { carrier: string; trackingNumber: string; labelUrl: string | null };
}

/** Shipments, their tracking events and the outbox in the delivery database. */
export class ShipmentStore {
  constructor(private readonly prisma: PrismaClient) {}

  findByIds(ids: readonly string[]): Promise<ShipmentRecord[]> {
    return this.prisma.shipment.findMany({ where: { id: { in: [...ids] } } });
  }

  findByOrderIds(orderIds: readonly string[]): Promise<ShipmentRecord[]> {
    return this.prisma.shipment.findMany({ where: { orderId: { in: [...orderIds] } } });
  }

  /** The events of many shipments, each shipment's in the order they were applied. */
  eventsOf(shipmentIds: readonly string[]): Promise<TrackingEventRecord[]> {
    return this.prisma.trackingEvent.findMany({
      where: { shipmentId: { in: [...shipmentIds] } },
      orderBy: { sequence: 'asc' },
    });
  }

  /**
   * The order's shipment, created PENDING if it has none. The unique order id makes a
   * repeated or concurrent call return the one shipment instead of adding a second.
   */
  async ensureForOrder(orderId: string, userId: string): Promise<ShipmentRecord> {
    await this.prisma.shipment.createMany({
      data: [{ id: randomUUID(), orderId, userId, status: 'PENDING' }],
      skipDuplicates: true,
    });
    return this.prisma.shipment.findUniqueOrThrow({ where: { orderId } });
  }

  /**
   * Reads a shipment and locks its row until the caller's transaction ends, so that two
   * events for one shipment (two couriers, a courier and a webhook) are checked one after
   * the other, each against the status the previous one left.
   */
  async lock(db: Db, id: string): Promise<ShipmentRecord | null> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM shipments WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length ? db.shipment.findUnique({ where: { id } }) : null;
  }

  async lockByOrderId(db: Db, orderId: string): Promise<ShipmentRecord | null> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM shipments WHERE order_id = ${orderId}::uuid FOR UPDATE`;
    return rows[0] ? db.shipment.findUnique({ where: { id: rows[0].id } }) : null;
  }

  /**
   * Records a label bought for a shipment that was cancelled meanwhile, so that its void
   * can be asked for (and retried) by tracking number. Nothing else about it changes.
   */
  attachLabel(
    db: Db,
    id: string,
    label: { carrier: string; trackingNumber: string; labelUrl: string | null },
  ): Promise<ShipmentRecord> {
    return db.shipment.update({
      where: { id },
      data: {
        carrier: label.carrier,
        trackingNumber: label.trackingNumber,
        labelUrl: label.labelUrl,
      },
    });
  }

  /** The carrier confirmed the void of the shipment's label. */
  async labelVoided(id: string, at: Date): Promise<void> {
    await this.prisma.shipment.updateMany({
      where: { id, labelVoidedAt: null },
      data: { labelVoidedAt: at },
    });
  }

  /**
   * Stores an event, moves the shipment to its status and writes the shipment.updated
   * outbox row (for an announced status), all in the caller's transaction (the shipment
   * row locked by `lock`).
   */
  async applyEvent(
    db: Db,
    shipment: ShipmentRecord,
    event: ReportedEvent,
    origin: EventOrigin,
  ): Promise<DeliveryUpdateRecord> {
    const stored = await db.trackingEvent.create({
      data: {
        shipmentId: shipment.id,
        status: event.status,
        location: event.location,
        note: event.note,
        at: event.at,
        source: origin.source,
        externalEventId: origin.externalEventId ?? null,
      },
    });
    const updated = await db.shipment.update({
      where: { id: shipment.id },
      data: {
        status: event.status,
        ...(origin.courier ? { courier: origin.courier } : {}),
        ...(origin.label
          ? {
              carrier: origin.label.carrier,
              trackingNumber: origin.label.trackingNumber,
              labelUrl: origin.label.labelUrl,
            }
          : {}),
      },
    });
    // CANCELLED stays in delivery: see isAnnounced.
    if (isAnnounced(updated.status)) {
      await this.addOutbox(db, JobName.SHIPMENT_UPDATED, {
        shipmentId: updated.id,
        orderId: updated.orderId,
        userId: updated.userId,
        status: updated.status,
        carrier: updated.carrier,
        trackingNumber: updated.trackingNumber,
        at: stored.at.toISOString(),
      });
    }
    return { shipment: updated, event: stored };
  }

  /** Writes an event for the outbox relay, in the caller's transaction. */
  async addOutbox<N extends JobName>(db: Db, topic: N, payload: JobData<N>): Promise<void> {
    await db.outbox.create({
      data: { topic, payload: outboxPayload(payload) as Prisma.InputJsonObject },
    });
  }
}
