import { randomUUID } from 'node:crypto';
import { ServiceTokenClient } from '@shop/auth';
import { errorCodes, fixtureForFile } from '@shop/test-harness';
import { MY_ORDERS, ORDER, ORDER_ENTITIES, USER_ORDERS } from './support/operations';
import { ORDER_READER_CLIENT, ORDERS_CLIENT } from './support/orders-service';
import { startOrdersStack, type Customer } from './support/stack';

const stack = fixtureForFile(() => startOrdersStack());
let alice: Customer;
let bob: Customer;
const aliceOrders: string[] = [];
beforeAll(async () => {
  [alice, bob] = await Promise.all([stack.customer(), stack.customer()]);
  const product = await stack.createProduct({ stock: 20 });
  for (let i = 0; i < 3; i++) {
    await stack.addToCart(alice, product.id, 1);
    const res = await stack.checkout(alice);
    aliceOrders.push(res.data!.checkout.order.id);
  }
}, 120_000);

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

/** Each error's index in `_entities` with its code, sorted by index. */
function errorsByIndex(res: { errors?: { path?: (string | number)[]; extensions?: any }[] }) {
  return (res.errors ?? [])
    .map((e) => [e.path?.[0], e.path?.[1], e.extensions?.code] as const)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
}

async function healthz(): Promise<{ status: number; body: unknown }> {
  const response = await fetch(stack.orders.url.replace(/\/graphql$/, '/healthz'));
  return { status: response.status, body: await response.json() };
}

describe('hostile entity representations', () => {
  it('answers the request that once ended the process with one BAD_USER_INPUT per bad representation', async () => {
    // Byte for byte what took orders down: unauthenticated, a null key and an unknown type.
    const response = await fetch(stack.orders.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"query($r:[_Any!]!){_entities(representations:$r){__typename}}","variables":{"r":[{"__typename":"Order","id":null},{"__typename":"Nope"}]}}',
    });
    expect(response.status).toBe(200);
    const res = (await response.json()) as any;
    expect(res.data).toEqual({ _entities: [null, null] });
    expect(errorsByIndex(res)).toEqual([
      ['_entities', 0, 'BAD_USER_INPUT'],
      ['_entities', 1, 'BAD_USER_INPUT'],
    ]);
    expect(await healthz()).toEqual({ status: 200, body: { status: 'ok', service: 'orders' } });
  });

  it('resolves the valid representations next to malformed ones, each error at its own index', async () => {
    const query = `query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Order { id status }
        ... on User { id orders(first: 5) { totalCount } }
      }
    }`;
    const reps = [
      { __typename: 'Order', id: aliceOrders[0] },
      { __typename: 'User', id: 12345 },
      { __typename: 'Order', id: 'not-a-uuid' },
      { __typename: 'Order', id: 'a'.repeat(10_000) },
      // Well formed but unknown: null, like someone else's order, and no error.
      { __typename: 'Order', id: randomUUID() },
      { __typename: 'User', id: alice.userId },
      { __typename: 'User', id: 'not-a-uuid' },
      { __typename: 'Order', id: '' },
    ];
    // An ADMIN may read any user's orders: the malformed user id gets as far as it can.
    for (const token of [alice.token, stack.adminToken]) {
      const res = await stack.call(query, { reps }, token);
      expect(res.status).toBe(200);
      expect(res.data!._entities).toEqual([
        { id: aliceOrders[0], status: 'PENDING_PAYMENT' },
        null,
        null,
        null,
        null,
        { id: alice.userId, orders: { totalCount: 3 } },
        null,
        null,
      ]);
      expect(errorsByIndex(res)).toEqual(
        [1, 2, 3, 6, 7].map((i) => ['_entities', i, 'BAD_USER_INPUT']),
      );
      for (const error of res.errors!) expect(error.message.length).toBeLessThan(300);
    }
    expect((await healthz()).status).toBe(200);
  });
});

describe('tampered cursors', () => {
  // Dates JavaScript can hold but PostgreSQL cannot: the first one once reached SQL.
  const outOfRange = [
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '+010000-01-01T00:00:00.000Z',
  ];
  const cursor = (createdAt: string) =>
    Buffer.from(JSON.stringify([createdAt, aliceOrders[0]])).toString('base64url');

  it('myOrders and User.orders refuse a cursor whose date no order can have, naming "after"', async () => {
    for (const createdAt of outOfRange) {
      const mine = await stack.call(MY_ORDERS, { first: 2, after: cursor(createdAt) }, alice.token);
      expect(errorCodes(mine)).toEqual(['BAD_USER_INPUT']);
      expect(mine.errors![0]!.extensions).toMatchObject({ field: 'after' });

      const viaUser = await stack.call(
        `query($reps: [_Any!]!, $after: String) {
          _entities(representations: $reps) { ... on User { orders(first: 2, after: $after) { totalCount } } }
        }`,
        { reps: [{ __typename: 'User', id: alice.userId }], after: cursor(createdAt) },
        alice.token,
      );
      expect(errorCodes(viaUser)).toEqual(['BAD_USER_INPUT']);
      expect(viaUser.errors![0]!.extensions).toMatchObject({ field: 'after' });
    }
    // The earliest and latest dates PostgreSQL can hold are still positions, not errors.
    for (const createdAt of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const res = await stack.call(MY_ORDERS, { first: 5, after: cursor(createdAt) }, alice.token);
      expect(res.errors).toBeUndefined();
    }
  });
});
