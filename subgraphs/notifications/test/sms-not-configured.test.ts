import { randomUUID } from 'node:crypto';
import { JobName } from '@shop/queues';
import { fixtureForFile } from '@shop/test-harness';
import { settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

// A deployment without SMS credentials: e-mail works, SMS is recorded as not configured.
const stack = fixtureForFile(() =>
  startNotificationsStack({
    env: { SMS_ACCOUNT_SID: '', SMS_AUTH_TOKEN: '', SMS_FROM: '' },
  }),
);

it('records SMS as FAILED (not configured) without retrying, and still sends the e-mail', async () => {
  const ann = await stack.customer({ phone: '+4915166666666' });
  await stack.call(
    'mutation { updateNotificationPreferences(input: { shipping: { sms: true } }) { shipping { sms } } }',
    {},
    ann.token,
  );
  const update = {
    shipmentId: randomUUID(),
    orderId: randomUUID(),
    userId: ann.id,
    status: 'DELIVERED' as const,
    carrier: null,
    trackingNumber: null,
    at: new Date().toISOString(),
  };
  const job = await settled(stack.queues, await stack.publish(JobName.SHIPMENT_UPDATED, update));
  // Completed on its first run: nothing to retry.
  expect(job).toMatchObject({ state: 'completed', attemptsMade: 1 });

  const records = await stack.notifications.service.notifications.findByEvent(
    `shipment-delivered:${update.shipmentId}`,
  );
  const byChannel = Object.fromEntries(records.map((r) => [r.channel, r]));
  expect(byChannel.EMAIL).toMatchObject({ status: 'SENT' });
  expect(byChannel.SMS).toMatchObject({ status: 'FAILED', permanent: true });
  expect(byChannel.SMS!.lastError).toMatch(/SMS is not configured/);
  expect(byChannel.SMS!.attempts).toHaveLength(1);
  expect(stack.sms.messages).toHaveLength(0);
});
