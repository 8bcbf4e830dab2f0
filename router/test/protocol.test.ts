import { createHash } from 'node:crypto';
import { startSubscriptionStack, TRACKED, type SubscriptionStack } from './support/subscriptions';

// A supergraph with a subscription (tracking) next to queries (orders).
let stack: SubscriptionStack;
beforeAll(async () => {
  stack = await startSubscriptionStack();
});
afterAll(() => stack.stop());

const ORDER = 'query Order { order(id: "o1") { id } }';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Sends the body and expects one 400 error with `code`, no subgraph call and nothing logged as a bug. */
async function expectRefused(body: unknown, code: string): Promise<string> {
  const callsBefore = stack.orders.requests.length;
  const { status, body: response } = await stack.router.post(body);

  expect(status).toBe(400);
  expect(response).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
  expect(stack.orders.requests.length).toBe(callsBefore);
  expect(stack.router.logs.filter((line) => line.level === 50)).toEqual([]);
  return response.errors[0].message;
}

describe('requests the gateway cannot run are client errors, not 500s', () => {
  it('a subscription sent over HTTP is BAD_REQUEST, pointing to WebSocket', async () => {
    const message = await expectRefused(
      { query: TRACKED, variables: { orderId: 'o1' } },
      'BAD_REQUEST',
    );
    expect(message).toMatch(/WebSocket/);
  });

  it('an operationName the document does not define is OPERATION_RESOLUTION_FAILURE', async () => {
    const message = await expectRefused(
      { query: ORDER, operationName: 'Orders' },
      'OPERATION_RESOLUTION_FAILURE',
    );
    expect(message).toBe(
      'The document has no operation named "Orders"; operationName must name one of its operations.',
    );
  });

  it('several operations without an operationName is OPERATION_RESOLUTION_FAILURE', async () => {
    const message = await expectRefused(
      { query: `${ORDER} query Other { order(id: "o2") { id } }` },
      'OPERATION_RESOLUTION_FAILURE',
    );
    expect(message).toBe('The document holds 2 operations; say which to run in operationName.');
  });

  it('a persisted query whose hash is not the query’s SHA-256 is BAD_REQUEST', async () => {
    const message = await expectRefused(
      { query: ORDER, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('other') } } },
      'BAD_REQUEST',
    );
    expect(message).toMatch(/not the SHA-256 of the query/);
  });

  it('a persisted query of an unknown version is BAD_REQUEST', async () => {
    await expectRefused(
      { query: ORDER, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(ORDER) } } },
      'BAD_REQUEST',
    );
  });

  it('still runs the operation operationName names, and a persisted query with its right hash', async () => {
    const named = await stack.router.post({
      query: `${ORDER} query Other { order(id: "o2") { id } }`,
      operationName: 'Other',
    });
    expect(named.status).toBe(200);
    expect(named.body.data).toEqual({ order: { id: 'o2' } });

    const persisted = await stack.router.post({
      query: ORDER,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ORDER) } },
    });
    expect(persisted.status).toBe(200);
    expect(persisted.body.data).toEqual({ order: { id: 'o1' } });
  });
});
