// What a customer finds in their inbox and in their notification history: the welcome
// e-mail after sign-up and the order confirmation after payment, sent by the notifications
// worker from events that users and orders published, read back through the router.
import { fixtureForFile, waitFor } from '@shop/test-harness';
import { startPlatform } from '../src/platform';
import { Shop } from '../src/shop';

const MY_NOTIFICATIONS = `query Mine($first: Int, $after: String) {
  myNotifications(first: $first, after: $after) {
    totalCount
    edges { node { channel template to subject status createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const platform = fixtureForFile(() => startPlatform());
let shop: Shop;
beforeAll(() => {
  shop = new Shop(platform.url);
});

const mailTo = (email: string, subject: RegExp) =>
  waitFor(
    () => platform.mailbox.received.find((m) => m.to.includes(email) && subject.test(m.subject)),
    { timeoutMs: 20_000, what: `an e-mail to ${email} matching ${subject}` },
  );

it('sign-up → welcome e-mail; payment → confirmation with the total; both in myNotifications', async () => {
  const customer = await shop.shopper({ name: 'Grace Hopper' });
  const welcome = await mailTo(customer.email, /welcome/i);
  expect(welcome.text).toContain('Grace Hopper');

  const order = await shop.paidOrder(customer, 3);
  const confirmation = await mailTo(customer.email, /order/i);
  expect(confirmation.text).toContain('3 × €25.00 = €75.00');
  expect(confirmation.text).toContain('Total: €75.00');
  expect(confirmation.text).toContain(order.orderId.slice(0, 8).toUpperCase());

  const history = await waitFor(
    async () => {
      const mine = (await shop.ok(MY_NOTIFICATIONS, { first: 10 }, customer.token)).myNotifications;
      return mine.edges.filter((e: any) => e.node.status === 'SENT').length >= 2 && mine;
    },
    { what: 'two sent notifications in the history' },
  );
  expect(history.edges.map((e: any) => e.node)).toEqual([
    expect.objectContaining({
      channel: 'EMAIL',
      to: customer.email,
      subject: confirmation.subject,
    }),
    expect.objectContaining({ channel: 'EMAIL', to: customer.email, subject: welcome.subject }),
  ]);

  // Nobody else sees any of it.
  const other = await shop.shopper();
  const theirs = (await shop.ok(MY_NOTIFICATIONS, { first: 10 }, other.token)).myNotifications;
  expect(theirs.edges.every((e: any) => e.node.to === other.email)).toBe(true);
  const anonymous = await shop.call(MY_NOTIFICATIONS, { first: 10 });
  expect(anonymous.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
}, 60_000);
