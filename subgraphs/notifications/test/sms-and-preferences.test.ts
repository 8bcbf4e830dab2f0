import { randomUUID } from 'node:crypto';
import { JobName, type JobData } from '@shop/queues';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

const stack = fixtureForFile(() => startNotificationsStack());

const PREFS = `{ orderConfirmation { email sms emailRequired } orderCancelled { email sms emailRequired }
  orderRefunded { email sms emailRequired } shipping { email sms emailRequired } }`;
const MY_PREFS = `query { myNotificationPreferences ${PREFS} }`;
const UPDATE = `mutation Update($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) ${PREFS}
}`;

function shipment(
  userId: string,
  status: JobData<'shipment.updated'>['status'],
  shipmentId = randomUUID(),
): JobData<'shipment.updated'> {
  return {
    shipmentId,
    orderId: randomUUID(),
    userId,
    status,
    carrier: 'DHL',
    trackingNumber: '00340434161094042557',
    at: new Date().toISOString(),
  };
}

describe('preferences', () => {
  it('start with every e-mail on and every SMS off', async () => {
    const ann = await stack.customer();
    const res = await stack.call(MY_PREFS, {}, ann.token);
    expect(res.data!.myNotificationPreferences).toEqual({
      orderConfirmation: { email: true, sms: false, emailRequired: true },
      orderCancelled: { email: true, sms: false, emailRequired: true },
      orderRefunded: { email: true, sms: false, emailRequired: true },
      shipping: { email: true, sms: false, emailRequired: false },
    });
  });

  it('change only what is given and are kept', async () => {
    const ann = await stack.customer();
    const res = await stack.call(
      UPDATE,
      { input: { shipping: { email: false, sms: true }, orderRefunded: { sms: true } } },
      ann.token,
    );
    expect(res.errors).toBeUndefined();
    const again = await stack.call(MY_PREFS, {}, ann.token);
    expect(again.data!.myNotificationPreferences).toMatchObject({
      orderConfirmation: { email: true, sms: false },
      orderRefunded: { email: true, sms: true },
      shipping: { email: false, sms: true },
    });
  });

  it('refuse to switch off a transactional e-mail, naming the field and changing nothing', async () => {
    const bob = await stack.customer();
    const res = await stack.call(
      UPDATE,
      { input: { shipping: { sms: true }, orderConfirmation: { email: false } } },
      bob.token,
    );
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'input.orderConfirmation.email' });
    expect(res.errors![0]!.message).toMatch(/order confirmation e-mail cannot be switched off/);
    const after = await stack.call(MY_PREFS, {}, bob.token);
    expect(after.data!.myNotificationPreferences.shipping).toMatchObject({ sms: false });
  });

  it('are for signed-in customers only', async () => {
    expect(errorCodes(await stack.call(MY_PREFS))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await stack.call(UPDATE, { input: { shipping: { sms: true } } }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });
});

describe('shipping messages', () => {
  it('go by SMS to a customer with a phone who opted in, and not by e-mail once switched off', async () => {
    const cleo = await stack.customer({ phone: '+49 151 2345678' });
    await stack.call(UPDATE, { input: { shipping: { email: false, sms: true } } }, cleo.token);
    const update = shipment(cleo.id, 'OUT_FOR_DELIVERY');
    await settled(stack.queues, await stack.publish(JobName.SHIPMENT_UPDATED, update));

    const texts = stack.sms.messages.filter((m) => m.to === '+491512345678');
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({ from: '+15005550006' });
    expect(texts[0]!.body).toContain('is out for delivery');
    expect(texts[0]!.body).toContain('DHL 00340434161094042557');
    expect(stack.smtp.received.filter((m) => m.to.includes(cleo.email))).toHaveLength(0);

    const history = await stack.call(
      'query { myNotifications { edges { node { channel template to status subject } } } }',
      {},
      cleo.token,
    );
    expect(history.data!.myNotifications.edges.map((e: any) => e.node)).toEqual([
      {
        channel: 'SMS',
        template: 'shipment-out-for-delivery',
        to: '+491512345678',
        status: 'SENT',
        subject: null,
      },
    ]);
  });

  it('send no SMS to a customer without a phone, even opted in', async () => {
    const dan = await stack.customer();
    await stack.call(UPDATE, { input: { shipping: { sms: true } } }, dan.token);
    const before = stack.sms.messages.length;
    await settled(
      stack.queues,
      await stack.publish(JobName.SHIPMENT_UPDATED, shipment(dan.id, 'DELIVERED')),
    );
    const mail = await stack.mail(dan.email, /was delivered/);
    expect(mail.text).toContain('was delivered');
    expect(stack.sms.messages.length).toBe(before);
  });

  it('tell "shipped" once per shipment, for PICKED_UP and IN_TRANSIT together, and ignore other statuses', async () => {
    const eve = await stack.customer({ phone: '+4915199999999' });
    await stack.call(UPDATE, { input: { shipping: { sms: true } } }, eve.token);
    const shipmentId = randomUUID();
    for (const status of ['LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'FAILED_ATTEMPT'] as const) {
      await settled(
        stack.queues,
        await stack.publish(JobName.SHIPMENT_UPDATED, shipment(eve.id, status, shipmentId)),
      );
    }
    const mails = stack.smtp.received.filter((m) => m.to.includes(eve.email));
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/has shipped$/)]);
    expect(stack.sms.messages.filter((m) => m.to === '+4915199999999')).toHaveLength(1);
  });

  it('record an SMS the provider refuses (HTTP 400) as FAILED and still send the e-mail', async () => {
    const fay = await stack.customer({ phone: '+4915188888888' });
    await stack.call(UPDATE, { input: { shipping: { sms: true } } }, fay.token);
    stack.sms.failNext.push(400);
    const update = shipment(fay.id, 'DELIVERED');
    const job = await settled(stack.queues, await stack.publish(JobName.SHIPMENT_UPDATED, update));
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });

    const records = await stack.notifications.service.notifications.findByEvent(
      `shipment-delivered:${update.shipmentId}`,
    );
    const byChannel = Object.fromEntries(records.map((r) => [r.channel, r]));
    expect(byChannel.EMAIL).toMatchObject({ status: 'SENT' });
    expect(byChannel.SMS).toMatchObject({ status: 'FAILED', permanent: true });
    expect(byChannel.SMS!.lastError).toMatch(/HTTP 400.*not a valid phone number.*21211/);
  });

  it('retry an SMS while the provider answers 503, without sending the e-mail twice', async () => {
    const gus = await stack.customer({ phone: '+4915177777777' });
    await stack.call(UPDATE, { input: { shipping: { sms: true } } }, gus.token);
    stack.sms.failNext.push(503);
    const update = shipment(gus.id, 'PICKED_UP');
    const job = await settled(stack.queues, await stack.publish(JobName.SHIPMENT_UPDATED, update));
    expect(job.state).toBe('completed');
    expect(stack.sms.messages.filter((m) => m.to === '+4915177777777')).toHaveLength(1);
    expect(stack.smtp.received.filter((m) => m.to.includes(gus.email))).toHaveLength(1);
  });
});
