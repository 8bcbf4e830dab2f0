import { randomUUID } from 'node:crypto';
import { JobName } from '@shop/queues';
import { fixtureForFile, waitFor } from '@shop/test-harness';
import { refundOf, settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

const stack = fixtureForFile(() => startNotificationsStack());

describe('delivery failures', () => {
  it('retries while the mail server is down and sends once it is back', async () => {
    const ann = await stack.customer();
    await stack.smtp.stop();
    const data = refundOf(ann.id);
    const id = await stack.publish(JobName.ORDER_REFUNDED, data);
    const store = stack.notifications.service.notifications;

    // The first attempt failed and was recorded; the message waits for the retry.
    const [waiting] = await waitFor(
      async () => {
        const rows = await store.findByEvent(`order.refunded:${data.orderId}`);
        return rows[0]?.attempts.length ? rows : undefined;
      },
      { what: 'a failed attempt' },
    );
    expect(waiting).toMatchObject({ status: 'QUEUED', attempts: [{ ok: false }] });
    expect(waiting!.lastError).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);

    await stack.smtp.start();
    const job = await settled(stack.queues, id);
    expect(job.state).toBe('completed');
    // At least one run failed while the server was down, and a later one sent it.
    expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(stack.smtp.received.filter((m) => m.to.includes(ann.email))).toHaveLength(1);
    const [sent] = await store.findByEvent(`order.refunded:${data.orderId}`);
    expect(sent!.status).toBe('SENT');
    expect(sent!.attempts.at(-1)).toMatchObject({ ok: true });
    expect(sent!.attempts.filter((a) => !a.ok).length).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('marks a message the mail server refuses (550) FAILED and does not retry it', async () => {
    const bob = await stack.customer();
    stack.smtp.reject.add(bob.email);
    const data = refundOf(bob.id);
    const id = await stack.publish(JobName.ORDER_REFUNDED, data);

    const job = await settled(stack.queues, id);
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    const [record] = await stack.notifications.service.notifications.findByEvent(
      `order.refunded:${data.orderId}`,
    );
    expect(record).toMatchObject({ status: 'FAILED', permanent: true });
    expect(record!.attempts).toHaveLength(1);
    expect(record!.lastError).toMatch(/550/);
    expect(stack.smtp.received.filter((m) => m.to.includes(bob.email))).toHaveLength(0);

    // The same event again sends nothing: a refused address stays refused.
    const again = await stack.publish(JobName.ORDER_REFUNDED, data);
    expect((await settled(stack.queues, again)).state).toBe('completed');
    const [after] = await stack.notifications.service.notifications.findByEvent(
      `order.refunded:${data.orderId}`,
    );
    expect(after!.attempts).toHaveLength(1);
  });

  it('fails a job for a user that does not exist without retrying it', async () => {
    const id = await stack.publish(JobName.USER_REGISTERED, { userId: randomUUID() });
    expect(await settled(stack.queues, id)).toMatchObject({ state: 'failed', attemptsMade: 1 });
  });

  it('fails a job with a malformed payload without retrying it', async () => {
    const id = await stack.publish(JobName.ORDER_PAID, { orderId: 'not-a-uuid' } as never);
    const job = await settled(stack.queues, id);
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(job.failedReason).toMatch(/bad order.paid payload/);
  });
});
