import { QueueName, type Queues } from '@shop/queues';
import { waitFor } from '@shop/test-harness';

/** Resolves once the job is completed or failed for good, with its state and attempts. */
export async function settled(queues: Queues, id: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const job = await queues.queue(QueueName.NOTIFICATIONS).getJob(id);
      if (!job) return undefined;
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') return undefined;
      return { state, attemptsMade: job.attemptsMade, failedReason: job.failedReason };
    },
    { timeoutMs, what: `job ${id} to settle` },
  );
}
