import { randomUUID } from 'node:crypto';
import { QueueName, type JobData, type Queues } from '@shop/queues';
import { waitFor } from '@shop/test-harness';

/** Resolves once the job is completed or failed for good, with its state and attempts. */
export async function settled(queues: Queues, id: string, timeoutMs = 20_000) {
  const queue = queues.queue(QueueName.NOTIFICATIONS);
  return waitFor(
    async () => {
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return undefined;
      // Read after the state is final, so attempts and reason are those of the final run.
      const job = (await queue.getJob(id))!;
      return { state, attemptsMade: job.attemptsMade, failedReason: job.failedReason };
    },
    { timeoutMs, what: `job ${id} to settle` },
  );
}

/** An order.refunded payload for a new order of `userId` (10.00 EUR). */
export function refundOf(userId: string): JobData<'order.refunded'> {
  return { orderId: randomUUID(), userId, amount: 1000, currency: 'EUR' };
}
