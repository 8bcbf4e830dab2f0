import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack, type Stack, type TestRouter } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

/** A local HTTP server standing in for what can sit where a subgraph should answer. */
async function startFakeUpstream(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a subgraph that answers a GraphQL response on an error status', () => {
  it('keeps the rest of the data and reports the refused field with its own code', async () => {
    const { status, body } = await stack.router.post({
      query: '{ caller { userId } fail(kind: REFUSED_WITH_STATUS) }',
    });

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { caller: { userId: null }, fail: null },
      errors: [
        {
          message: 'Sign in to see this.',
          path: ['fail'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
  });

  it('keeps the fields an entity fetch resolved next to the one it refused', async () => {
    const { status, body } = await stack.router.post({
      query: '{ user(id: "u1") { name orderCount privateNote } }',
    });

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { user: { name: 'User u1', orderCount: 3, privateNote: null } },
      errors: [
        {
          message: 'Sign in to see this.',
          path: ['user', 'privateNote'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
  });
});

describe('a subgraph that does not answer', () => {
  /** Expects SERVICE_UNAVAILABLE, retryable, and the cause logged with subgraph and request id. */
  function expectUnavailable(router: TestRouter, body: any, requestId: string) {
    expect(body.errors).toEqual([
      {
        message: 'The users service did not answer. Try again shortly.',
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    expect(router.logs).toContainEqual(
      expect.objectContaining({ msg: 'subgraph unavailable', subgraph: 'users', requestId }),
    );
  }

  it('refusing connections fails a whole operation with 503 SERVICE_UNAVAILABLE', async () => {
    // Nothing listens on port 9 (discard).
    const router = await stack.startRouter({ USERS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql' });
    const { status, body } = await router.post(
      { query: '{ caller { userId } }' },
      { 'x-request-id': 'req-refused-connection' },
    );

    expect(status).toBe(503);
    expect(body.data).toBeNull();
    expectUnavailable(router, body, 'req-refused-connection');
  });

  it('leaves the data other subgraphs resolved, with 200', async () => {
    const router = await stack.startRouter({ USERS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql' });
    const { status, body } = await router.post(
      { query: '{ user(id: "u1") { name } ordersStatus }' },
      { 'x-request-id': 'req-partial-outage' },
    );

    expect(status).toBe(200);
    expect(body.data).toEqual({ user: null, ordersStatus: 'ok' });
    expectUnavailable(router, body, 'req-partial-outage');
  });

  it('is given up after SUBGRAPH_TIMEOUT_MS, with 503 SERVICE_UNAVAILABLE', async () => {
    // Accepts every request and never answers, like a subgraph stuck on a dead database.
    const stuck = await startFakeUpstream(() => undefined);
    try {
      const router = await stack.startRouter({
        USERS_SUBGRAPH_URL: stuck.url,
        SUBGRAPH_TIMEOUT_MS: '300',
      });
      const started = Date.now();
      const { status, body } = await router.post(
        { query: '{ caller { userId } }' },
        { 'x-request-id': 'req-stuck-subgraph' },
      );

      expect(Date.now() - started).toBeLessThan(3_000);
      expect(status).toBe(503);
      expectUnavailable(router, body, 'req-stuck-subgraph');
    } finally {
      await stuck.stop();
    }
  });

  it('behind a proxy that answers 502 without a GraphQL body is SERVICE_UNAVAILABLE too', async () => {
    const proxy = await startFakeUpstream((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>');
    });
    try {
      const router = await stack.startRouter({ USERS_SUBGRAPH_URL: proxy.url });
      const { status, body } = await router.post(
        { query: '{ caller { userId } }' },
        { 'x-request-id': 'req-bad-gateway' },
      );

      expect(status).toBe(503);
      expectUnavailable(router, body, 'req-bad-gateway');
    } finally {
      await proxy.stop();
    }
  });
});
