import type { Logger } from '@shop/logging';
import {
  jobPayload,
  JobName,
  QueueName,
  UnrecoverableError,
  type Queues,
  type Worker,
} from '@shop/queues';
import type { OrderLifecycleService } from '../services/order-lifecycle';

/**
 * Consumes the `orders` queue:
 * - `order.placed` claims a new order's stock hold at products (OrderLifecycleService.claimStock),
 *   which otherwise expires: the claim is what tells products the order really exists.
 * - `order.expire` cancels an order still unpaid when its payment timeout is over and
 *   releases its stock (OrderLifecycleService.expire); a paid order is left alone.
 * - `shipment.updated` (from delivery) moves a paid order to FULFILLING, SHIPPED, DELIVERED.
 * A failure (database or products unreachable) is retried with the queue's backoff; a job
 * that can never succeed (unknown name, bad payload) fails at once.
 */
export function startOrdersWorker(
  queues: Queues,
  lifecycle: OrderLifecycleService,
  log: Logger,
): Worker {
  const worker = queues.worker(QueueName.ORDERS, async (job) => {
    switch (job.name) {
      case JobName.ORDER_PLACED: {
        const { orderId } = jobPayload(JobName.ORDER_PLACED, job.data);
        const outcome = await lifecycle.claimStock(orderId);
        // debug when claimed: one per checkout; anything else is worth reading at 3 a.m.
        if (outcome === 'claimed') log.debug({ orderId }, 'order stock claimed');
        else log.warn({ orderId, outcome }, 'order stock could not be claimed');
        return outcome;
      }
      case JobName.ORDER_EXPIRE: {
        const { orderId } = jobPayload(JobName.ORDER_EXPIRE, job.data);
        const outcome = await lifecycle.expire(orderId);
        log.info({ orderId, outcome }, 'order payment timeout');
        return outcome;
      }
      case JobName.SHIPMENT_UPDATED: {
        const update = jobPayload(JobName.SHIPMENT_UPDATED, job.data);
        const steps = await lifecycle.followShipment(update);
        log.info(
          { orderId: update.orderId, shipment: update.status, steps },
          steps.length ? 'order follows its shipment' : 'shipment update changes nothing',
        );
        return steps;
      }
      default:
        throw new UnrecoverableError(`the orders queue has no job ${job.name}`);
    }
  });
  worker.on('failed', (job, err) =>
    log.error(
      { err, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade },
      'orders queue job failed',
    ),
  );
  worker.on('error', (err) => log.error({ err }, 'orders queue worker error'));
  return worker;
}
