import { JobName, outboxPayload } from '@shop/queues';
import { runtimePool } from '@shop/prisma-kit';
import type pg from 'pg';
import { isAnnounced, previousStatuses, type DeliveryStatus } from '../domain/shipment-status';
import type { ReportedEvent } from '../domain/tracking-event';
import type { DeliveryUpdateRecord, ShipmentRecord } from './shipment';

/** A reported step: which shipment, the event, and who reported it. */
export interface ReportedStep {
  /** The shipment, by id (couriers) or by tracking number (carrier webhooks). */
  shipment: { id: string } | { trackingNumber: string };
  event: ReportedEvent;
  origin: { source: 'COURIER'; courier: string } | { source: 'CARRIER'; externalEventId: string };
}

/** Why a step was not applied, as the shipment is now (read after the step's statement). */
export interface StepRefusal {
  /** Null: no such shipment. */
  shipment: { id: string; status: DeliveryStatus } | null;
  /** The carrier event id is stored already. */
  duplicate: boolean;
}

// Timestamps are stored as UTC in `timestamp` columns (as Prisma writes them): converted
// explicitly, so that neither the server's nor this process's time zone matters.
const SHIPMENT_COLUMNS = `id::text AS id, order_id::text AS "orderId",
  user_id::text AS "userId", status::text AS status, carrier,
  tracking_number AS "trackingNumber", label_url AS "labelUrl",
  label_voided_at AT TIME ZONE 'UTC' AS "labelVoidedAt", courier::text AS courier,
  created_at AT TIME ZONE 'UTC' AS "createdAt", updated_at AT TIME ZONE 'UTC' AS "updatedAt"`;

/** A step that gave up waiting for its shipment's row lock (lock_not_available). */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '55P03';
}

const BY = {
  id: '$1::uuid',
  trackingNumber: '$1',
} as const;
const COLUMN = { id: 'id', trackingNumber: 'tracking_number' } as const;

/**
 * The statement of a step ($1 the shipment's id or tracking number): `target` takes the
 * shipment's row lock (FOR UPDATE) only in a status the step is legal from ($3); a
 * concurrent step is waited for and the condition re-checked against what it left, whose
 * status is then the one this step moves from. The same statement stores the event and,
 * for a change to an announced status ($11), writes the shipment.updated outbox row: a
 * scan at another hub (IN_TRANSIT → IN_TRANSIT) is an event for the customer's live
 * tracking, but no news for orders or notifications, whose jobs would change nothing.
 * A carrier event id ($10) already stored is not applied again; one committed meanwhile
 * by a concurrent delivery fails the unique index.
 */
function stepStatement(by: keyof typeof BY): string {
  return `
    WITH target AS (
      SELECT id, status AS previous FROM shipments
      WHERE ${COLUMN[by]} = ${BY[by]}
        AND status = ANY($3::"DeliveryStatus"[])
        AND ($10::text IS NULL
             OR NOT EXISTS (SELECT 1 FROM tracking_events WHERE external_event_id = $10))
      FOR UPDATE
    ), moved AS (
      UPDATE shipments s
      SET status = $2::"DeliveryStatus",
          courier = COALESCE($4::uuid, s.courier),
          updated_at = $5::timestamptz AT TIME ZONE 'UTC'
      FROM target WHERE s.id = target.id
      RETURNING s.*, target.previous
    ), stored AS (
      INSERT INTO tracking_events
        (id, shipment_id, status, location, note, at, source, external_event_id)
      SELECT gen_random_uuid(), moved.id, moved.status, $6, $7,
             $8::timestamptz AT TIME ZONE 'UTC', $9::"TrackingSource", $10
      FROM moved
    ), announced AS (
      INSERT INTO outbox (id, topic, payload)
      SELECT gen_random_uuid(), $12,
             jsonb_build_object(
               'shipmentId', moved.id, 'orderId', moved.order_id, 'userId', moved.user_id,
               'status', moved.status, 'carrier', moved.carrier,
               'trackingNumber', moved.tracking_number, 'at', $13::text) || $14::jsonb
      FROM moved WHERE $11::boolean AND moved.status <> moved.previous
    )
    SELECT ${SHIPMENT_COLUMNS} FROM moved`;
}

const STATEMENTS = {
  id: { name: 'delivery-step-by-id', text: stepStatement('id') },
  trackingNumber: {
    name: 'delivery-step-by-tracking-number',
    text: stepStatement('trackingNumber'),
  },
} as const;

/**
 * Courier and carrier tracking events, each written in one statement (a transaction of its
 * own) over a pool of their own, straight through node-pg with prepared statements: one
 * round trip instead of an interactive transaction's seven, so a write holds its
 * connection for about a millisecond and never while the process does other work, and
 * none of Prisma's per-query cost (bench/results/tracking.md). Its connections are apart
 * from Prisma's, so a burst of events never makes reads or the workers wait for one.
 */
export class TrackingWrites {
  private readonly pool: pg.Pool;

  /**
   * `lockWaitMs` bounds how long a step waits for its shipment's row lock (PostgreSQL's
   * lock_timeout): a session that holds the row and does not let go must not keep a write
   * connection for ever. Such a step fails with isLockTimeout and changes nothing.
   */
  constructor(databaseUrl: string, connections: number, lockWaitMs: number) {
    this.pool = runtimePool(databaseUrl, { max: connections, lockTimeoutMs: lockWaitMs });
  }

  /** Applies a step; null when nothing was applied (see `refusal` for why). */
  async step({ shipment, event, origin }: ReportedStep): Promise<DeliveryUpdateRecord | null> {
    const by = 'id' in shipment ? 'id' : 'trackingNumber';
    const { rows } = await this.pool.query<ShipmentRecord>({
      ...STATEMENTS[by],
      values: [
        'id' in shipment ? shipment.id : shipment.trackingNumber,
        event.status,
        previousStatuses(event.status),
        origin.source === 'COURIER' ? origin.courier : null,
        new Date().toISOString(),
        event.location,
        event.note,
        event.at.toISOString(),
        origin.source,
        origin.source === 'CARRIER' ? origin.externalEventId : null,
        // CANCELLED stays in delivery: see isAnnounced.
        isAnnounced(event.status),
        JobName.SHIPMENT_UPDATED,
        // The outbox payload's `at`, as ISO text (as the other outbox writers give it).
        event.at.toISOString(),
        // The request's trace context (`{}` with tracing off), for the job it announces.
        JSON.stringify(outboxPayload({})),
      ],
    });
    const updated = rows[0];
    if (!updated) return null;
    const { status, location, note, at } = event;
    return { shipment: updated, event: { status, location, note, at } };
  }

  /** Why `step` applied nothing: the shipment as it is now, and whether the event is stored. */
  async refusal({ shipment, origin }: ReportedStep): Promise<StepRefusal> {
    const by = 'id' in shipment ? 'id' : 'trackingNumber';
    const { rows } = await this.pool.query<{
      id: string | null;
      status: DeliveryStatus | null;
      duplicate: boolean;
    }>(
      `SELECT s.id::text AS id, s.status::text AS status,
              EXISTS (SELECT 1 FROM tracking_events WHERE external_event_id = $2) AS duplicate
       FROM (SELECT 1) AS one LEFT JOIN shipments s ON s.${COLUMN[by]} = ${BY[by]}`,
      [
        'id' in shipment ? shipment.id : shipment.trackingNumber,
        origin.source === 'CARRIER' ? origin.externalEventId : null,
      ],
    );
    const row = rows[0];
    return {
      shipment: row?.id && row.status ? { id: row.id, status: row.status } : null,
      duplicate: row?.duplicate ?? false,
    };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
