import type { Logger } from '@shop/logging';
import {
  JobName,
  jobSchemas,
  QueueName,
  UnrecoverableError,
  type Queues,
  type Worker,
} from '@shop/queues';
import type { OrderLifecycleService } from '../domain/order-lifecycle';

/**
 * Consumes the `orders` queue: `order.expire` cancels an order still unpaid when its payment
 * timeout is over and releases its stock (OrderLifecycleService.expire); a paid order is
 * left alone. A failure (products unreachable) is retried with the queue's backoff; a job
 * that can never succeed (unknown name, bad payload) fails at once.
 */
export function startExpiryWorker(
  queues: Queues,
  lifecycle: OrderLifecycleService,
  log: Logger,
): Worker {
  const worker = queues.worker(QueueName.ORDERS, async (job) => {
    if (job.name !== JobName.ORDER_EXPIRE) {
      throw new UnrecoverableError(`the orders queue has no job ${job.name}`);
    }
    const parsed = jobSchemas[JobName.ORDER_EXPIRE].safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`bad ${job.name} payload: ${parsed.error.message}`);
    }
    const outcome = await lifecycle.expire(parsed.data.orderId);
    log.info({ orderId: parsed.data.orderId, outcome }, 'order payment timeout');
    return outcome;
  });
  worker.on('failed', (job, err) =>
    log.error({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'order.expire job failed'),
  );
  worker.on('error', (err) => log.error({ err }, 'orders queue worker error'));
  return worker;
}
