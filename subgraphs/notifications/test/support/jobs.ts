import { QueueName, type Queues } from '@shop/queues';
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
