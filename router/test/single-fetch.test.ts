import { SingleFetchQueries } from '../src/single-fetch';
import { startStack, type Stack, type TestRouter } from './support/stack';

// Queries that one subgraph answers whole skip the gateway's plan execution
// (src/single-fetch.ts). Each case is asked twice: the first request teaches the router the
// plan, the second may take the short path — and must read exactly like the first.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const shortPath = jest.spyOn(SingleFetchQueries.prototype as never, 'fetch' as never);
beforeEach(() => shortPath.mockClear());

async function askTwice(router: TestRouter, body: object) {
  const read = async () => {
    const { status, body: answer } = await router.post(body);
    return { status, body: answer };
  };
  const first = await read();
  const second = await read();
  return { first, second };
}

describe('a query one subgraph answers whole', () => {
  it('is answered from the subgraph directly once its plan is known, with the same result', async () => {
    const calls = stack.users.requests.length;
    const { first, second } = await askTwice(stack.router, {
      query: 'query Team($n: Int) { users(first: $n) { totalCount edges { node { id name } } } }',
      variables: { n: 2 },
    });

    expect(second).toEqual(first);
    expect(second.body).toEqual({
      data: {
        users: {
          totalCount: 2,
          edges: [{ node: { id: 'u0', name: 'User u0' } }, { node: { id: 'u1', name: 'User u1' } }],
        },
      },
    });
    expect(shortPath).toHaveBeenCalledTimes(1);
    expect(stack.users.requests.length).toBe(calls + 2);
  });

  it('answers errors from the subgraph as the gateway does, calling the subgraph once', async () => {
    const calls = stack.users.requests.length;
    const { first, second } = await askTwice(stack.router, {
      query: '{ caller { userId } fail(kind: BAD_INPUT) }',
    });

    expect(shortPath).toHaveBeenCalledTimes(1);
    expect(stack.users.requests.length).toBe(calls + 2);
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(second.body.errors).toEqual([
      expect.objectContaining({
        message: 'Quantity must be at least 1.',
        path: ['fail'],
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('refuses variables that do not fit as the gateway does, without calling the subgraph', async () => {
    const calls = stack.users.requests.length;
    const query = 'query Team($n: Int) { users(first: $n) { totalCount } }';
    await stack.router.post({ query, variables: { n: 1 } });
    const { first, second } = await askTwice(stack.router, { query, variables: { n: 'many' } });

    expect(second).toEqual(first);
    expect(first.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(stack.users.requests.length).toBe(calls + 1);
  });

  it('reports a subgraph that does not answer as the gateway does', async () => {
    const router = await stack.startRouter({
      // Nothing listens on port 9 (discard).
      USERS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql',
    });
    const { first, second } = await askTwice(router, { query: '{ caller { userId } }' });

    expect(shortPath).toHaveBeenCalledTimes(1);
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(first.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('a query the short path leaves to the gateway', () => {
  it.each([
    ['one that needs two subgraphs', '{ user(id: "u1") { name orderCount } }'],
    [
      'one asking for the root __typename, which the gateway answers itself',
      '{ __typename caller { userId } }',
    ],
    ['an introspection query', '{ __schema { queryType { name } } }'],
  ])('%s: executed by the gateway every time', async (_, query) => {
    const { first, second } = await askTwice(stack.router, { query });

    expect(second).toEqual(first);
    expect(shortPath).not.toHaveBeenCalled();
  });
});
