import { record, TRACKED } from './support/subscriptions';
import { subscriptionStackForFile } from './support/subscription-stack-for-file';
import type { TestRouter } from './support/stack';

const stack = subscriptionStackForFile();

/** Subscribes and expects a refusal by the router itself, before any subgraph is asked. */
async function refused(
  query: string,
  variables: Record<string, unknown> = { orderId: 'o1' },
  router: TestRouter = stack.router,
) {
  const connection = stack.connect(router, { authorization: `Bearer ${stack.tokens.userToken()}` });
  const upstreamBefore = stack.tracking.connections.length;

  const ending = await record(connection.client, { query, variables }).ended;

  expect(ending.kind).toBe('error');
  expect(stack.tracking.connections.length).toBe(upstreamBefore);
  expect(stack.tracking.active('o1')).toBe(0);
  return (ending as { errors: { message: string; extensions: { code: string } }[] }).errors;
}

describe('subscriptions the router refuses', () => {
  it('refuses an unknown field as a validation error', async () => {
    const errors = await refused('subscription { tracked(orderId: "o1") { seq weather } }');

    expect(errors).toEqual([
      expect.objectContaining({
        message: 'Cannot query field "weather" on type "Tracked".',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
  });

  it('refuses an unknown subscription field', async () => {
    const errors = await refused('subscription { parcelMoved(id: "p1") }');

    expect(errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(errors[0]?.message).toContain('parcelMoved');
  });

  it('refuses a document that does not parse', async () => {
    const errors = await refused('subscription { tracked(orderId: "o1") { seq }');

    expect(errors).toEqual([
      expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
    ]);
  });

  it('refuses a missing or mistyped variable as BAD_USER_INPUT', async () => {
    const missing = await refused(TRACKED, {});
    const mistyped = await refused(TRACKED, { orderId: { id: 'o1' } });

    expect(missing).toEqual([
      expect.objectContaining({
        message: 'Variable "$orderId" of required type "ID!" was not provided.',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    expect(mistyped[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('applies the depth and alias limits of HTTP operations', async () => {
    const router = await stack.startRouter({ MAX_QUERY_DEPTH: '2', MAX_ALIASES: '1' });

    const tooDeep = await refused(
      'subscription { tracked(orderId: "o1") { order { id } } }',
      {},
      router,
    );
    const tooManyAliases = await refused(
      'subscription { tracked(orderId: "o1") { a: seq b: seq } }',
      {},
      router,
    );

    expect(tooDeep).toEqual([
      expect.objectContaining({
        message: 'Query depth limit of 2 exceeded, found 3.',
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      }),
    ]);
    expect(tooManyAliases).toEqual([
      expect.objectContaining({ extensions: { code: 'QUERY_TOO_COMPLEX' } }),
    ]);
  });

  it('applies the cost limit of HTTP operations, as every event costs its selection', async () => {
    const router = await stack.startRouter({ MAX_QUERY_COST: '6' });

    // tracked, seq, status, seenBy, order, id, customer.
    const errors = await refused(
      'subscription { tracked(orderId: "o1") { seq status seenBy order { id customer } } }',
      {},
      router,
    );

    expect(errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Query cost limit of 6 exceeded, found 7\./),
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      }),
    ]);
  });

  it('does not serve WebSockets at all when SUBSCRIPTIONS_ENABLED is false', async () => {
    const router = await stack.startRouter({ SUBSCRIPTIONS_ENABLED: 'false' });
    const connection = stack.connect(router, {
      authorization: `Bearer ${stack.tokens.userToken()}`,
    });

    const ending = await record(connection.client, { query: TRACKED, variables: { orderId: 'o1' } })
      .ended;

    expect(ending.kind).toBe('error');
    expect(router.subscriptions).toBeNull();
    const { status } = await router.post({ query: '{ order(id: "o1") { id } }' });
    expect(status).toBe(200);
  });
});
