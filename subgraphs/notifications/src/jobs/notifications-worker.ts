import type { Logger } from '@shop/logging';
import { QueueName, readJob, UnrecoverableError, type Queues, type Worker } from '@shop/queues';
import { NOTIFICATION_JOBS, type NotificationJobName } from '../domain/events';
import type { NotificationService } from '../services/notification-service';
import { MissingRecordError } from '../store/subgraphs';

const isNotificationJob = (name: string): name is NotificationJobName =>
  (NOTIFICATION_JOBS as readonly string[]).includes(name);

/**
 * Consumes the `notifications` queue: user.registered, order.paid, order.cancelled,
 * order.refunded and shipment.updated become e-mails and SMS.
 * - A temporary failure (mail server or SMS API down, users or orders unreachable) throws,
 *   and BullMQ retries with the queue's exponential backoff; what was sent stays sent.
 * - A permanent one (address refused, bad payload, unknown user or order) fails the job
 *   at once with UnrecoverableError, after every other channel of the event was tried.
 */
export function startNotificationsWorker(
  queues: Queues,
  service: NotificationService,
  log: Logger,
  concurrency: number,
): Worker {
  const worker = queues.worker(
    QueueName.NOTIFICATIONS,
    async (job) => {
      if (!isNotificationJob(job.name)) {
        throw new UnrecoverableError(`the notifications queue has no job ${job.name}`);
      }
      const attempts = job.opts.attempts ?? 1;
      let outcome;
      try {
        outcome = await service.handle(readJob(job.name, job.data), {
          id: job.id ?? `${job.name}:${job.timestamp}`,
          lastAttempt: job.attemptsMade + 1 >= attempts,
        });
      } catch (error) {
        if (error instanceof MissingRecordError) throw new UnrecoverableError(error.message);
        throw error;
      }
      if (outcome.retry) throw new Error(`not delivered yet: ${outcome.retry}`);
      if (outcome.rejected) throw new UnrecoverableError(`refused: ${outcome.rejected}`);
      log.debug({ job: job.name, jobId: job.id, outcome }, 'notification job done');
      return outcome;
    },
    { concurrency },
  );
  worker.on('failed', (job, err) =>
    log.error(
      { err, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade },
      'notifications job failed',
    ),
  );
  worker.on('error', (err) => log.error({ err }, 'notifications worker error'));
  return worker;
}
