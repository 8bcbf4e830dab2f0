import { randomUUID } from 'node:crypto';
import { JobName } from '@shop/queues';
import { fixtureForFile } from '@shop/test-harness';
import { settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

const stack = fixtureForFile(() => startNotificationsStack());

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('order e-mails', () => {
  it('confirms a paid order with its lines and total in the order currency', async () => {
    const ann = await stack.customer({ name: 'Ann Example' });
    const orderId = randomUUID();
    stack.orders.orders.set(orderId, {
      id: orderId,
      total: eur(5497),
      lines: [
        { name: 'Espresso cup', quantity: 2, unitPrice: eur(1299), lineTotal: eur(2598) },
        { name: 'Coffee grinder', quantity: 1, unitPrice: eur(2899), lineTotal: eur(2899) },
      ],
    });
    const id = await stack.publish(JobName.ORDER_PAID, {
      orderId,
      userId: ann.id,
      total: 5497,
      currency: 'EUR',
    });

    const mail = await stack.mail(ann.email, /confirmed/);
    expect((await settled(stack.queues, id)).state).toBe('completed');
    expect(mail.subject).toBe(`Your order ${orderId.slice(0, 8).toUpperCase()} is confirmed`);
    expect(mail.from).toBe('no-reply@shop.test');
    expect(mail.text).toContain('Hello Ann Example');
    expect(mail.text).toContain('- Espresso cup: 2 × €12.99 = €25.98');
    expect(mail.text).toContain('- Coffee grinder: 1 × €28.99 = €28.99');
    expect(mail.text).toContain('Total: €54.97');
    expect(mail.html).toContain('<td>Espresso cup</td>');
    expect(mail.html).toContain('<strong>€54.97</strong>');

    const [record] = await stack.notifications.service.notifications.findByEvent(
      `order.paid:${orderId}`,
    );
    expect(record).toMatchObject({
      userId: ann.id,
      channel: 'EMAIL',
      template: 'order-confirmation',
      to: ann.email,
      status: 'SENT',
      attempts: [expect.objectContaining({ ok: true, error: null })],
    });
    expect(record!.providerMessageId).toBeTruthy();
  });

  it('sends one confirmation when the same event is delivered twice', async () => {
    const bob = await stack.customer();
    const orderId = randomUUID();
    stack.orders.orders.set(orderId, {
      id: orderId,
      total: { amount: 1500, currency: 'JPY' },
      lines: [
        {
          name: 'Tea',
          quantity: 3,
          unitPrice: { amount: 500, currency: 'JPY' },
          lineTotal: { amount: 1500, currency: 'JPY' },
        },
      ],
    });
    const data = { orderId, userId: bob.id, total: 1500, currency: 'JPY' };
    // Two jobs (two outbox rows or a replayed relay) for one payment, worked on at once.
    const ids = await Promise.all([
      stack.publish(JobName.ORDER_PAID, data),
      stack.publish(JobName.ORDER_PAID, data),
    ]);
    await Promise.all(ids.map((id) => settled(stack.queues, id)));
    // And once more after the first ones are done.
    await settled(stack.queues, await stack.publish(JobName.ORDER_PAID, data));

    const mails = stack.smtp.received.filter((m) => m.to.includes(bob.email));
    expect(mails).toHaveLength(1);
    // Yen have no minor unit: 1500 is ¥1,500, not ¥15.00.
    expect(mails[0]!.text).toContain('Total: JP¥1,500');
    const records = await stack.notifications.service.notifications.findByEvent(
      `order.paid:${orderId}`,
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.attempts).toHaveLength(1);
  });

  it('says whether a cancelled order was refunded, and why it was cancelled', async () => {
    const cleo = await stack.customer();
    const paidOrder = randomUUID();
    const unpaidOrder = randomUUID();
    await stack.publish(JobName.ORDER_CANCELLED, {
      orderId: paidOrder,
      userId: cleo.id,
      total: 2599,
      currency: 'EUR',
      refunded: true,
      reason: 'customer',
    });
    await stack.publish(JobName.ORDER_CANCELLED, {
      orderId: unpaidOrder,
      userId: cleo.id,
      total: 999,
      currency: 'EUR',
      refunded: false,
      reason: 'payment-timeout',
    });
    const refunded = await stack.mail(cleo.email, new RegExp(paidOrder.slice(0, 8), 'i'));
    expect(refunded.text).toContain('cancelled as you asked');
    expect(refunded.text).toContain('payment of €25.99 is being refunded');

    const expired = await stack.mail(cleo.email, new RegExp(unpaidOrder.slice(0, 8), 'i'));
    expect(expired.text).toContain('did not receive the payment in time');
    expect(expired.text).toContain('No payment was taken.');
    expect(expired.text).not.toContain('refunded');
  });

  it('tells the customer about a refund with its amount', async () => {
    const dan = await stack.customer();
    const orderId = randomUUID();
    await stack.publish(JobName.ORDER_REFUNDED, {
      orderId,
      userId: dan.id,
      amount: 4200,
      currency: 'USD',
    });
    const mail = await stack.mail(dan.email, /Refund/);
    expect(mail.text).toContain('We have refunded US$42.00');
  });

  it('fails without retries when the order does not exist', async () => {
    const eve = await stack.customer();
    const id = await stack.publish(JobName.ORDER_PAID, {
      orderId: randomUUID(),
      userId: eve.id,
      total: 100,
      currency: 'EUR',
    });
    const job = await settled(stack.queues, id);
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(job.failedReason).toMatch(/was not found/);
  });
});
