// The window between the mail server accepting a message and the shop recording it: every
// attempt at one notification carries one Message-ID, and an attempt a worker never finished
// is found and recorded by the next one.
import { JobName } from '@shop/queues';
import { fixtureForFile } from '@shop/test-harness';
import { OUTCOME_UNKNOWN } from '../src/store/notification';
import { refundOf, settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

// A short SMTP timeout: a message whose reply never comes is retried within the test.
const stack = fixtureForFile(() => startNotificationsStack({ env: { SMTP_TIMEOUT_MS: '1500' } }));

describe('sending an e-mail once', () => {
  it('resends a message whose acceptance was never answered with the same Message-ID', async () => {
    const ann = await stack.customer();
    // The server keeps the first copy but its reply is lost: the worker cannot know.
    stack.smtp.swallow.add(ann.email.toLowerCase());
    const data = refundOf(ann.id);
    const job = await settled(stack.queues, await stack.publish(JobName.ORDER_REFUNDED, data));
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 2 });

    const [record] = await stack.notifications.service.notifications.findByEvent(
      `order.refunded:${data.orderId}`,
    );
    // Derived from the notification, in the domain of MAIL_FROM.
    expect(record!.messageId).toMatch(new RegExp(`^<notification\\.${record!.id}@[a-z.]+>$`));
    const copies = stack.smtp.received.filter((m) => m.to.includes(ann.email));
    // Two copies reached the server; both say they are one message, so a mail system that
    // collapses duplicates by Message-ID shows one.
    expect(copies.map((m) => m.messageId)).toEqual([record!.messageId, record!.messageId]);
    expect(record).toMatchObject({ status: 'SENT', sending: null });
    expect(record!.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(record!.attempts[0]!.error).toMatch(/timeout|ETIMEDOUT/i);
    const ids = record!.attempts.map((a) => a.attemptId);
    expect(new Set(ids).size).toBe(2);
  }, 30_000);

  it('finds an attempt a worker never finished, records it, and resends with its Message-ID', async () => {
    const bob = await stack.customer();
    const data = refundOf(bob.id);
    const store = stack.notifications.service.notifications;
    // What a worker leaves when it stops between handing the message over and recording the
    // answer: the message claimed by its job (lease over), the attempt marked under way.
    const claim = await store.claim({
      userId: bob.id,
      channel: 'EMAIL',
      template: 'order-refunded',
      to: bob.email,
      subject: 'Your refund',
      body: { text: 'Refunded.', html: '<p>Refunded.</p>' },
      eventKey: `order.refunded:${data.orderId}`,
      ownerJobId: 'order.refunded__stopped-worker',
      leaseUntil: new Date(Date.now() - 1000),
    });
    expect(claim.claimed).toBe(true);
    const id = claim.claimed ? claim.record.id : '';
    const stoppedAt = new Date(Date.now() - 60_000);
    // Recorded by the stopped worker, perhaps under another MAIL_FROM: kept as it is.
    const messageId = `<notification.${id}@mail.before-restart.example>`;
    expect(
      await store.markSending(id, { attemptId: 'stopped-attempt', at: stoppedAt }, messageId, null),
    ).toBe(true);

    const job = await settled(stack.queues, await stack.publish(JobName.ORDER_REFUNDED, data));
    expect(job.state).toBe('completed');
    const copies = stack.smtp.received.filter((m) => m.to.includes(bob.email));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ messageId, subject: 'Your refund' });
    const [record] = await store.findByEvent(`order.refunded:${data.orderId}`);
    expect(record).toMatchObject({ status: 'SENT', sending: null, messageId });
    expect(record!.attempts).toEqual([
      { at: stoppedAt, ok: false, error: OUTCOME_UNKNOWN, attemptId: 'stopped-attempt' },
      { at: expect.any(Date), ok: true, error: null, attemptId: expect.any(String) },
    ]);

    // Accepted and recorded: the same event again sends nothing.
    const again = await settled(stack.queues, await stack.publish(JobName.ORDER_REFUNDED, data));
    expect(again.state).toBe('completed');
    expect(stack.smtp.received.filter((m) => m.to.includes(bob.email))).toHaveLength(1);
  }, 30_000);
});
