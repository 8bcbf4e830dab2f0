import { randomUUID } from 'node:crypto';
import { deleteKeys, TEST_REDIS_URL, testKeyPrefix, waitFor } from '@shop/test-harness';
import { jobId, JobName, QueueName, Queues } from '../src';

const prefix = testKeyPrefix('queues').replace(/:$/, '');
let queues: Queues;
beforeAll(() => {
  queues = new Queues({ redisUrl: TEST_REDIS_URL, prefix });
});
afterAll(async () => {
  await queues?.close();
  await deleteKeys(`${prefix}:`);
});

describe('Queues on Redis', () => {
  it('ignores a second add with the same job id', async () => {
    const data = { orderId: randomUUID(), expiresAt: new Date().toISOString() };
    const id = jobId(JobName.ORDER_EXPIRE, data.orderId);
    const queue = queues.queue(QueueName.ORDERS);
    await queue.add(JobName.ORDER_EXPIRE, data, { jobId: id, delay: 60_000 });
    await queue.add(JobName.ORDER_EXPIRE, { ...data, expiresAt: 'changed' }, { jobId: id });
    const jobs = await queue.getJobs(['delayed', 'waiting']);
    expect(jobs.map((j) => [j.id, j.data.expiresAt])).toEqual([[id, data.expiresAt]]);
    expect(jobs[0]!.opts).toMatchObject({ attempts: 8, removeOnComplete: { age: 86_400 } });
  });

  it('keeps its keys under the prefix, and a worker consumes the jobs, then closes', async () => {
    const seen: string[] = [];
    queues.worker(QueueName.NOTIFICATIONS, async (job) => {
      seen.push(job.id!);
    });
    const id = jobId(JobName.ORDER_PAID, randomUUID());
    await queues.queue(QueueName.NOTIFICATIONS).add(JobName.ORDER_PAID, {}, { jobId: id });
    await waitFor(() => seen.includes(id), { what: 'the job processed' });
    const other = new Queues({ redisUrl: TEST_REDIS_URL, prefix: `${prefix}-other` });
    try {
      expect(await other.queue(QueueName.NOTIFICATIONS).getJob(id)).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
