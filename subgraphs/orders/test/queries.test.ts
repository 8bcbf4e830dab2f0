import { randomUUID } from 'node:crypto';
import { ServiceTokenClient } from '@shop/auth';
import { errorCodes } from '@shop/test-harness';
import { MY_ORDERS, ORDER, ORDER_ENTITIES, USER_ORDERS } from './support/operations';
import { ORDER_READER_CLIENT, ORDERS_CLIENT } from './support/orders-service';
import { startOrdersStack, type Customer, type OrdersStack } from './support/stack';

let stack: OrdersStack;
let alice: Customer;
let bob: Customer;
const aliceOrders: string[] = [];
beforeAll(async () => {
  stack = await startOrdersStack();
  [alice, bob] = await Promise.all([stack.customer(), stack.customer()]);
  const product = await stack.createProduct({ stock: 20 });
  for (let i = 0; i < 3; i++) {
    await stack.addToCart(alice, product.id, 1);
    const res = await stack.checkout(alice);
    aliceOrders.push(res.data!.checkout.order.id);
  }
}, 120_000);
afterAll(() => stack?.stop());

describe('order queries', () => {
  it('order(id): the owner and an ADMIN see it; anyone else gets NOT_FOUND', async () => {
    const id = aliceOrders[0]!;
    const mine = await stack.call(ORDER, { id }, alice.token);
    expect(mine.data!.order).toMatchObject({
      id,
      status: 'PENDING_PAYMENT',
      customer: { id: alice.userId },
    });
    const admin = await stack.call(ORDER, { id }, stack.adminToken);
    expect(admin.data!.order.id).toBe(id);

    for (const [orderId, token] of [
      [id, bob.token],
      [randomUUID(), alice.token],
      ['not-a-uuid', alice.token],
    ] as const) {
      const res = await stack.call(ORDER, { id: orderId }, token);
      expect(errorCodes(res)).toEqual(['NOT_FOUND']);
      expect(res.errors![0]!.message).toBe(`Order ${orderId} was not found.`);
    }
    expect(errorCodes(await stack.call(ORDER, { id }))).toEqual(['UNAUTHENTICATED']);
  });

  it('order(id): a service token with orders:read reads any order; other scopes do not', async () => {
    const tokenUrl = stack.users.service.url.replace(/\/graphql$/, '/oauth/token');
    const serviceToken = (client: { id: string; secret: string }) =>
      new ServiceTokenClient({
        tokenUrl,
        clientId: client.id,
        clientSecret: client.secret,
      }).token();
    const reader = await serviceToken(ORDER_READER_CLIENT);
    const id = aliceOrders[1]!;
    const res = await stack.call(ORDER, { id }, reader);
    expect(res.data!.order).toMatchObject({ id, customer: { id: alice.userId } });
    expect(errorCodes(await stack.call(ORDER, { id: randomUUID() }, reader))).toEqual([
      'NOT_FOUND',
    ]);
    // orders' own client may reserve stock and read users, not read orders.
    const other = await stack.call(ORDER, { id }, await serviceToken(ORDERS_CLIENT));
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
  });

  it("myOrders: newest first, keyset pages, only the caller's orders", async () => {
    const first = await stack.call(MY_ORDERS, { first: 2 }, alice.token);
    const page1 = first.data!.myOrders;
    expect(page1.totalCount).toBe(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await stack.call(
      MY_ORDERS,
      { first: 2, after: page1.pageInfo.endCursor },
      alice.token,
    );
    const page2 = second.data!.myOrders;
    expect(page2.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    const ids = [...page1.edges, ...page2.edges].map((e: any) => e.node.id);
    expect(ids).toEqual([...aliceOrders].reverse());

    const bobs = await stack.call(MY_ORDERS, {}, bob.token);
    expect(bobs.data!.myOrders).toMatchObject({ totalCount: 0, edges: [] });
    expect(errorCodes(await stack.call(MY_ORDERS, { after: 'garbage' }, alice.token))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await stack.call(MY_ORDERS, { first: 0 }, alice.token))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('resolves Order entities for the owner, and null for others', async () => {
    const reps = aliceOrders.map((id) => ({ __typename: 'Order', id }));
    const mine = await stack.call(ORDER_ENTITIES, { reps }, alice.token);
    expect(mine.data!._entities.map((o: any) => o.id)).toEqual(aliceOrders);
    expect(mine.data!._entities[0]).toMatchObject({ customer: { id: alice.userId } });
    const others = await stack.call(ORDER_ENTITIES, { reps }, bob.token);
    expect(others.data!._entities).toEqual([null, null, null]);
  });

  it('contributes User.orders: the user themselves or an ADMIN only', async () => {
    const reps = [{ __typename: 'User', id: alice.userId }];
    const own = await stack.call(USER_ORDERS, { reps }, alice.token);
    expect(own.data!._entities[0].orders.totalCount).toBe(3);
    const admin = await stack.call(USER_ORDERS, { reps }, stack.adminToken);
    expect(admin.data!._entities[0].orders.totalCount).toBe(3);
    expect(errorCodes(await stack.call(USER_ORDERS, { reps }, bob.token))).toEqual(['FORBIDDEN']);
  });
});
