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
import { CarrierRejectedError, type CarrierClient } from '../carrier/carrier';
import type { TrackingService } from '../domain/tracking-service';
import type { OrdersClient } from '../store/orders';
import type { ShipmentStore } from '../store/shipment';

export interface LabelJobResult {
  shipmentId: string;
  status: string;
  trackingNumber: string | null;
  /** False when the shipment already had its label (the job ran before). */
  labelBought: boolean;
  /** Why no label was bought for a shipment still PENDING (the order was cancelled). */
  skipped?: string;
}

/**
 * Orders that must not ship any more. A paid order can be cancelled (and refunded) until
 * orders hears of its label, so the label is only bought for an order still wanted.
 */
const NOT_TO_SHIP = ['CANCELLED', 'REFUNDED'];

export interface DeliveryWorkerDeps {
  shipments: ShipmentStore;
  tracking: TrackingService;
  orders: OrdersClient;
  carrier: CarrierClient;
}

/**
 * order.paid: the order's shipment, created PENDING once per order, then its label bought from
 * the carrier (Idempotency-Key = shipment id) → LABEL_CREATED. A job run twice finds the
 * shipment labelled and buys nothing. A carrier that is down (5xx, timeout) is retried with
 * the queue's backoff; a carrier that refuses the request (4xx) fails the job at once.
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
    };
  }
  const order = await deps.orders.shippingOf(orderId);
  if (!order) throw new UnrecoverableError(`orders knows no order ${orderId}`);
  if (NOT_TO_SHIP.includes(order.status)) {
    log.warn(
      { orderId, shipmentId: shipment.id, order: order.status },
      'no label: order not to ship',
    );
    return {
      shipmentId: shipment.id,
      status: shipment.status,
      trackingNumber: null,
      labelBought: false,
      skipped: `order is ${order.status}`,
    };
  }
  const { recipient } = order;
  let label;
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
  const labelled = await deps.tracking.labelCreated(shipment.id, label);
  return {
    shipmentId: labelled.id,
    status: labelled.status,
    trackingNumber: labelled.trackingNumber,
    labelBought: true,
  };
}

/** Consumes the `delivery` queue (order.paid from orders' outbox). */
export function startDeliveryWorker(
  queues: Queues,
  deps: DeliveryWorkerDeps,
  log: Logger,
  concurrency: number,
): Worker {
  const worker = queues.worker(
    QueueName.DELIVERY,
    async (job) => {
      if (job.name !== JobName.ORDER_PAID) {
        throw new UnrecoverableError(`the delivery queue has no job ${job.name}`);
      }
      const result = await shipPaidOrder(job, deps, log);
      log.info({ orderId: (job.data as { orderId: string }).orderId, ...result }, 'order shipped');
      return result;
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
