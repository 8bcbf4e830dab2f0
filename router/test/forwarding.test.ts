import type { IncomingMessage } from 'node:http';
import { startStack, type Stack, type TestRouter } from './support/stack';

const CALLER = { query: 'query Caller { caller { userId requestId clientIp } }' };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('what the router forwards to subgraphs', () => {
  it('forwards the client request id and echoes it back', async () => {
    const { status, headers, body } = await stack.router.post(CALLER, {
      'x-request-id': 'checkout-7f3a',
    });

    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('checkout-7f3a');
    expect(body.data.caller.requestId).toBe('checkout-7f3a');
  });

  it('makes up a request id when the client sent none (or a malformed one)', async () => {
    const cases: Record<string, string>[] = [{}, { 'x-request-id': 'no spaces allowed' }];
    for (const sent of cases) {
      const { headers, body } = await stack.router.post(CALLER, sent);

      const requestId = headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.data.caller.requestId).toBe(requestId);
    }
  });

  it("forwards the client's address in x-forwarded-for", async () => {
    // The test client connects over loopback, a trusted proxy by default, like an ingress.
    const { body } = await stack.router.post(CALLER, { 'x-forwarded-for': '203.0.113.9' });

    expect(body.data.caller.clientIp).toBe('203.0.113.9');
  });

  /**
   * The client address a router derives for a request from `peer` carrying
   * X-Forwarded-For, by its own trust setting (the test client itself can only connect
   * over loopback).
   */
  function clientIpSeenBy(router: TestRouter, peer: string, forwardedFor: string): string {
    const request = {
      headers: { 'x-forwarded-for': forwardedFor },
      socket: { remoteAddress: peer },
    };
    return router.clientIp(request as unknown as IncomingMessage);
  }

  it('trusts X-Forwarded-For from loopback only, unless TRUST_PROXY names the ingress', async () => {
    // A client on a private network picking the address its rate limits are counted by.
    expect(clientIpSeenBy(stack.router, '10.0.0.7', '203.0.113.9')).toBe('10.0.0.7');
    expect(clientIpSeenBy(stack.router, 'fd00::7', '203.0.113.9')).toBe('fd00::7');
    expect(clientIpSeenBy(stack.router, '127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');

    const behindIngress = await stack.startRouter({ TRUST_PROXY: 'loopback, 10.42.0.0/16' });
    expect(clientIpSeenBy(behindIngress, '10.42.3.4', '203.0.113.9')).toBe('203.0.113.9');
    expect(clientIpSeenBy(behindIngress, '10.0.0.7', '203.0.113.9')).toBe('10.0.0.7');

    // One ingress hop (the Kubernetes setting): the address the ingress saw, not one the
    // client wrote further left in the header.
    const oneHop = await stack.startRouter({ TRUST_PROXY: '1' });
    expect(clientIpSeenBy(oneHop, '10.42.3.4', '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
  });

  it('forwards x-cart-id, and no identity header the client made up', async () => {
    await stack.router.post(CALLER, {
      'x-cart-id': 'guest-cart-1',
      'x-user-id': 'admin',
      'x-roles': 'ADMIN',
    });

    const forwarded = stack.users.requests.at(-1);
    expect(forwarded?.['x-cart-id']).toBe('guest-cart-1');
    expect(forwarded?.['x-user-id']).toBeUndefined();
    expect(forwarded?.['x-roles']).toBeUndefined();
  });

  it('forwards the token on entity fetches too, where each subgraph verifies it again', async () => {
    const token = stack.tokens.userToken({ sub: 'user-7' });
    const { status, body } = await stack.router.post(
      { query: '{ user(id: "u1") { name orderCount seenBy } }' },
      { authorization: `Bearer ${token}`, 'x-request-id': 'req-entities' },
    );

    expect(status).toBe(200);
    expect(body).toEqual({ data: { user: { name: 'User u1', orderCount: 3, seenBy: 'user-7' } } });
    expect(stack.orders.requests.at(-1)).toMatchObject({
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-entities',
    });
  });

  it('calls the URL of USERS_SUBGRAPH_URL instead of the one in the supergraph', async () => {
    const router = await stack.startRouter({
      // Nothing listens on port 9 (discard): only the override can make this work.
      SUPERGRAPH_PATH: stack.composeSupergraph({ users: 'http://127.0.0.1:9/graphql' }),
      USERS_SUBGRAPH_URL: stack.users.url,
    });

    const { status, body } = await router.post(CALLER);
    expect(status).toBe(200);
    expect(body.data.caller.userId).toBeNull();
  });
});

describe('errors from subgraphs', () => {
  it('pass a shop error code through unchanged, without gateway internals', async () => {
    const { status, body } = await stack.router.post({ query: '{ fail(kind: BAD_INPUT) }' });

    expect(status).toBe(200);
    expect(body.errors).toEqual([
      {
        message: 'Quantity must be at least 1.',
        path: ['fail'],
        extensions: { code: 'BAD_USER_INPUT', field: 'quantity' },
      },
    ]);
  });

  it('mask an unexpected error as INTERNAL_SERVER_ERROR and log it with the request id', async () => {
    const { status, body } = await stack.router.post(
      { query: '{ fail(kind: UNEXPECTED) }' },
      { 'x-request-id': 'req-unexpected' },
    );

    expect(status).toBe(200);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(stack.router.logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        requestId: 'req-unexpected',
        msg: 'unexpected error in operation',
      }),
    );
  });
});

describe('the access log', () => {
  it('writes one line per request with operation, status, duration and request id, never the token', async () => {
    const token = stack.tokens.userToken();
    await stack.router.post(CALLER, {
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-logged',
    });
    await stack.router.post(CALLER, {
      authorization: 'Bearer forged',
      'x-request-id': 'req-refused',
    });

    const lines = stack.router.logs.filter((line) => line.msg === 'request');
    expect(lines).toContainEqual(
      expect.objectContaining({
        requestId: 'req-logged',
        operationName: 'Caller',
        status: 200,
        durationMs: expect.any(Number),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ requestId: 'req-refused', status: 401 }),
    );
    expect(JSON.stringify(stack.router.logs)).not.toContain(token);
    expect(JSON.stringify(stack.router.logs)).not.toContain('forged');
  });
});
