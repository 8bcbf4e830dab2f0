import { randomUUID } from 'node:crypto';
import { JobName } from '@shop/queues';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { settled } from './support/jobs';
import { startNotificationsStack } from './support/stack';

const stack = fixtureForFile(() => startNotificationsStack());

const HISTORY = `query History($first: Int, $after: String) {
  myNotifications(first: $first, after: $after) {
    totalCount
    edges { cursor node { id channel template to subject status createdAt sentAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('myNotifications', () => {
  it('lists the customer’s own messages newest first, page by page; others see none of it', async () => {
    const ann = await stack.customer();
    const orderIds: string[] = [];
    // One after the other, so the order of creation is known.
    for (let i = 0; i < 5; i++) {
      const orderId = randomUUID();
      orderIds.push(orderId);
      const id = await stack.publish(JobName.ORDER_REFUNDED, {
        orderId,
        userId: ann.id,
        amount: 100 + i,
        currency: 'EUR',
      });
      await settled(stack.queues, id);
    }
    const subjects = orderIds
      .map((id) => `Refund for your order ${id.slice(0, 8).toUpperCase()}`)
      .reverse();

    const seen: string[] = [];
    let after: string | null = null;
    for (const size of [2, 2, 2]) {
      const res: any = await stack.call(HISTORY, { first: size, after }, ann.token);
      expect(res.errors).toBeUndefined();
      const page = res.data.myNotifications;
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e: any) => e.node.subject));
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(subjects);

    const first = (await stack.call(HISTORY, { first: 1 }, ann.token)).data!.myNotifications;
    expect(first.edges[0].node).toMatchObject({
      channel: 'EMAIL',
      template: 'order-refunded',
      to: ann.email,
      status: 'SENT',
    });
    expect(Date.parse(first.edges[0].node.sentAt)).toBeGreaterThanOrEqual(
      Date.parse(first.edges[0].node.createdAt),
    );

    const bob = await stack.customer();
    const theirs = await stack.call(HISTORY, {}, bob.token);
    expect(theirs.data!.myNotifications).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
    // Ann's cursor does not open Ann's list to Bob either.
    const peek = await stack.call(HISTORY, { after: first.pageInfo.endCursor }, bob.token);
    expect(peek.data!.myNotifications.edges).toEqual([]);
  });

  it('is for signed-in customers only', async () => {
    const res = await stack.call(HISTORY);
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a page size out of range and a tampered cursor with BAD_USER_INPUT', async () => {
    const ann = await stack.customer();
    const big = await stack.call(HISTORY, { first: 500 }, ann.token);
    expect(big.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const bad = await stack.call(HISTORY, { after: 'bm90LWEtY3Vyc29y' }, ann.token);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});
