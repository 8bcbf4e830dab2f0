import type { Logger } from '@shop/logging';
import {
  JobName,
  jobPayload,
  QueueName,
  UnrecoverableError,
  type Job,
  type Queues,
  type Worker,
} from '@shop/queues';
import { CarrierRejectedError, type CarrierClient, type Label } from '../carrier/carrier';
import type { TrackingService } from '../services/tracking-service';
import type { OrdersClient } from '../store/orders';
import type { ShipmentRecord, ShipmentStore } from '../store/shipment';

export interface LabelJobResult {
  shipmentId: string;
  status: string;
  trackingNumber: string | null;
  /** False when the shipment already had its label (the job ran before). */
  labelBought: boolean;
  /** True when this run voided the shipment's label at the carrier. */
  labelVoided?: boolean;
  /** Why the shipment is not sent (its order was cancelled or refunded). */
  skipped?: string;
}

/** What an order.cancelled / order.refunded job did to the order's shipment. */
export interface CancelJobResult {
  outcome: 'no-shipment' | 'cancelled' | 'too-late';
  shipmentId?: string;
  status?: string;
  labelVoided?: boolean;
}

/**
 * Orders that must not ship any more. A paid order can be cancelled (and refunded) until
 * orders hears of its label, and refunded by an ADMIN after that.
 */
const NOT_TO_SHIP: Readonly<Record<string, 'cancelled' | 'refunded'>> = {
  CANCELLED: 'cancelled',
  REFUNDED: 'refunded',
};

export interface DeliveryWorkerDeps {
  shipments: ShipmentStore;
  tracking: TrackingService;
  orders: OrdersClient;
  carrier: CarrierClient;
}

/**
 * Voids the label of a CANCELLED shipment unless the carrier already confirmed it. The void
 * is idempotent at the carrier, so a retry after a crash between the void and recording it
 * only asks again. A carrier that is down is retried with the queue's backoff; one that
 * refuses (the parcel was scanned) fails the job for an operator to stop the parcel.
 */
async function voidLabel(
  shipment: ShipmentRecord,
  deps: DeliveryWorkerDeps,
  log: Logger,
): Promise<boolean> {
  if (shipment.status !== 'CANCELLED' || !shipment.trackingNumber || shipment.labelVoidedAt) {
    return false;
  }
  const context = {
    orderId: shipment.orderId,
    shipmentId: shipment.id,
    trackingNumber: shipment.trackingNumber,
  };
  try {
    await deps.carrier.voidLabel({
      shipmentId: shipment.id,
      trackingNumber: shipment.trackingNumber,
    });
  } catch (err) {
    if (err instanceof CarrierRejectedError) {
      log.error(
        { err, ...context, status: err.status },
        'carrier refused to void the label of a cancelled shipment; stop the parcel by hand',
      );
      throw new UnrecoverableError(err.message);
    }
    throw err;
  }
  await deps.tracking.labelVoided(shipment.id);
  log.info(context, 'label voided: the order of this shipment was cancelled or refunded');
  return true;
}

/** The shipment of an order that must not be sent: CANCELLED, its label (if any) voided. */
async function cancelShipment(
  orderId: string,
  why: 'cancelled' | 'refunded',
  deps: DeliveryWorkerDeps,
  log: Logger,
  label?: Label,
): Promise<CancelJobResult> {
  const result = await deps.tracking.cancelForOrder(orderId, why, label);
  if (result.kind === 'no-shipment') return { outcome: 'no-shipment' };
  const { shipment } = result;
  if (result.kind === 'too-late') {
    // The carrier has the parcel: stopping it is a return, not a cancellation.
    log.info(
      { orderId, shipmentId: shipment.id, status: shipment.status, why },
      'order not to ship any more, but its parcel is already with the carrier',
    );
    return { outcome: 'too-late', shipmentId: shipment.id, status: shipment.status };
  }
  return {
    outcome: 'cancelled',
    shipmentId: shipment.id,
    status: shipment.status,
    labelVoided: await voidLabel(shipment, deps, log),
  };
}

/**
 * order.paid: the order's shipment, created PENDING once per order, then its label bought from
 * the carrier (Idempotency-Key = shipment id) → LABEL_CREATED. A job run twice finds the
 * shipment labelled and buys nothing. A carrier that is down (5xx, timeout) is retried with
 * the queue's backoff; a carrier that refuses the request (4xx) fails the job at once.
 *
 * An order cancelled or refunded before its label gets none (CANCELLED). One cancelled
 * while the label was being bought is seen by asking orders again once the label exists,
 * or by the order.cancelled job having cancelled the shipment meanwhile: either way the
 * shipment becomes CANCELLED and the label is voided, instead of a parcel leaving for an
 * order whose money was given back.
 */
async function shipPaidOrder(
  job: Job,
  deps: DeliveryWorkerDeps,
  log: Logger,
): Promise<LabelJobResult> {
  const { orderId, userId } = jobPayload(JobName.ORDER_PAID, job.data);
  const shipment = await deps.shipments.ensureForOrder(orderId, userId);
  if (shipment.status !== 'PENDING') {
    return {
      shipmentId: shipment.id,
      status: shipment.status,
      trackingNumber: shipment.trackingNumber,
      labelBought: false,
      // A retry after a failed void (or a repeated order.paid) finishes the void.
      labelVoided: await voidLabel(shipment, deps, log),
    };
  }
  const order = await deps.orders.shippingOf(orderId);
  if (!order) throw new UnrecoverableError(`orders knows no order ${orderId}`);
  const before = NOT_TO_SHIP[order.status];
  if (before) {
    log.warn(
      { orderId, shipmentId: shipment.id, order: order.status },
      'no label: order not to ship',
    );
    const cancelled = await cancelShipment(orderId, before, deps, log);
    return {
      shipmentId: shipment.id,
      status: cancelled.status ?? shipment.status,
      trackingNumber: null,
      labelBought: false,
      skipped: `order is ${order.status}`,
    };
  }
  const { recipient } = order;
  let label: Label;
  try {
    label = await deps.carrier.createLabel({ shipmentId: shipment.id, orderId, recipient });
  } catch (err) {
    if (err instanceof CarrierRejectedError) {
      log.error(
        { err, orderId, shipmentId: shipment.id, status: err.status },
        'carrier refused the label; the shipment stays PENDING until an operator retries the job',
      );
      throw new UnrecoverableError(err.message);
    }
    throw err;
  }
  // The customer may have cancelled while the carrier was answering (orders refunds a PAID
  // order at once). Asked after the label exists, so a cancellation committed before this
  // answer is seen here; one committed after it reaches delivery as order.cancelled.
  const now = await deps.orders.shippingOf(orderId);
  const after = now ? NOT_TO_SHIP[now.status] : undefined;
  if (after) {
    const cancelled = await cancelShipment(orderId, after, deps, log, label);
    log.warn(
      { orderId, shipmentId: shipment.id, order: now!.status, ...cancelled },
      'order cancelled while its label was bought: shipment cancelled',
    );
    return {
      shipmentId: shipment.id,
      status: cancelled.status ?? shipment.status,
      trackingNumber: label.trackingNumber,
      labelBought: true,
      labelVoided: cancelled.labelVoided ?? false,
      skipped: `order is ${now!.status}`,
    };
  }
  const labelled = await deps.tracking.labelCreated(shipment.id, label);
  return {
    shipmentId: labelled.shipment.id,
    status: labelled.shipment.status,
    trackingNumber: labelled.shipment.trackingNumber,
    labelBought: true,
    // Cancelled by an order.cancelled job between the second look and now.
    labelVoided: labelled.cancelled ? await voidLabel(labelled.shipment, deps, log) : false,
  };
}

/** order.cancelled / order.refunded (orders' outbox): the shipment is not sent if still possible. */
function stopShipment(job: Job, deps: DeliveryWorkerDeps, log: Logger): Promise<CancelJobResult> {
  const orderId =
    job.name === JobName.ORDER_CANCELLED
      ? jobPayload(JobName.ORDER_CANCELLED, job.data).orderId
      : jobPayload(JobName.ORDER_REFUNDED, job.data).orderId;
  return cancelShipment(
    orderId,
    job.name === JobName.ORDER_CANCELLED ? 'cancelled' : 'refunded',
    deps,
    log,
  );
}

/**
 * Consumes the `delivery` queue: order.paid, order.cancelled and order.refunded from
 * orders' outbox.
 */
export function startDeliveryWorker(
  queues: Queues,
  deps: DeliveryWorkerDeps,
  log: Logger,
  concurrency: number,
): Worker {
  const worker = queues.worker(
    QueueName.DELIVERY,
    async (job): Promise<LabelJobResult | CancelJobResult> => {
      const orderId = (job.data as { orderId?: string }).orderId;
      switch (job.name) {
        case JobName.ORDER_PAID: {
          const result = await shipPaidOrder(job, deps, log);
          log.info({ orderId, ...result }, 'order shipped');
          return result;
        }
        case JobName.ORDER_CANCELLED:
        case JobName.ORDER_REFUNDED: {
          const result = await stopShipment(job, deps, log);
          log.info({ orderId, job: job.name, ...result }, 'order not to ship');
          return result;
        }
        default:
          throw new UnrecoverableError(`the delivery queue has no job ${job.name}`);
      }
    },
    { concurrency },
  );
  worker.on('failed', (job, err) =>
    log.error(
      {
        err,
        job: job?.name,
        jobId: job?.id,
        orderId: (job?.data as { orderId?: string } | undefined)?.orderId,
        attempts: job?.attemptsMade,
      },
      'delivery queue job failed',
    ),
  );
  worker.on('error', (err) => log.error({ err }, 'delivery queue worker error'));
  return worker;
}
