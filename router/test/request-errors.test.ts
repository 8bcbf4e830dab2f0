import { gzipSync } from 'node:zlib';
import { rawRequest } from '@shop/test-harness';
import { startStack, type Stack, type TestRouter } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const OPERATION = JSON.stringify({ query: '{ caller { userId } }' });

interface RawResponse {
  status: number;
  contentType: string | null;
  body: string;
}

async function send(url: string, init: RequestInit): Promise<RawResponse> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/** Expects a GraphQL-shaped JSON error: one error with `code`; returns its message. */
function graphQLError(response: RawResponse, status: number, code: string): string {
  expect(response.status).toBe(status);
  expect(response.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(response.body);
  expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
  // Neither a stack trace nor a file path, in development either.
  expect(response.body).not.toMatch(/node_modules|\/work\/|at \w+ \(/);
  return body.errors[0].message;
}

describe.each(['production', 'development'])('in NODE_ENV=%s', (nodeEnv) => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await stack.startRouter({ NODE_ENV: nodeEnv });
  });

  /** POSTs a raw body to /graphql, and expects that no subgraph was called. */
  async function post(body: string, headers: Record<string, string>): Promise<RawResponse> {
    const callsBefore = stack.users.requests.length;
    const response = await send(router.url, { method: 'POST', headers, body });
    expect(stack.users.requests.length).toBe(callsBefore);
    return response;
  }

  it('answers truncated JSON with 400 BAD_REQUEST', async () => {
    const response = await post(OPERATION.slice(0, 12), { 'content-type': 'application/json' });
    expect(graphQLError(response, 400, 'BAD_REQUEST')).toBe('The request body is not valid JSON.');
  });

  it('answers a body over MAX_BODY_BYTES with 413 BAD_REQUEST', async () => {
    const router = await stack.startRouter({ NODE_ENV: nodeEnv, MAX_BODY_BYTES: '2048' });
    const body = JSON.stringify({
      query: '{ caller { userId } }',
      variables: { x: 'x'.repeat(4096) },
    });
    const response = await send(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(graphQLError(response, 413, 'BAD_REQUEST')).toBe(
      'The request body is larger than the limit of 2048 bytes.',
    );
  });

  it('answers UTF-8 JSON labelled charset=utf-16 with a 4xx BAD_REQUEST', async () => {
    const response = await post(OPERATION, {
      'content-type': 'application/json; charset=utf-16',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    graphQLError(response, response.status, 'BAD_REQUEST');
  });

  it('answers a charset it cannot read with 415 BAD_REQUEST, asking for UTF-8', async () => {
    const response = await post(OPERATION, {
      'content-type': 'application/json; charset=latin1',
    });
    expect(graphQLError(response, 415, 'BAD_REQUEST')).toMatch(/send UTF-8 JSON/);
  });

  it('answers plain JSON labelled content-encoding: gzip with 400 BAD_REQUEST', async () => {
    const response = await post(OPERATION, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    graphQLError(response, 400, 'BAD_REQUEST');
  });

  it('still reads a body that really is gzip-compressed', async () => {
    const response = await send(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(OPERATION),
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: { caller: { userId: null } } });
  });

  it('answers an unknown path with 404 NOT_FOUND as JSON', async () => {
    const response = await send(new URL('/admin/../.env', router.url).href, {});
    expect(graphQLError(response, 404, 'NOT_FOUND')).toMatch(/GraphQL is served on \/graphql/);
  });

  it('refuses a NUL character in a variable before planning, naming the input', async () => {
    const response = await post(
      JSON.stringify({
        query: 'query Fail($name: ID!) { caller { userId } user(id: $name) { name } }',
        variables: { name: 'a\u0000b' },
      }),
      { 'content-type': 'application/json' },
    );
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      errors: [
        {
          message: expect.stringMatching(/^name contains a NUL character/),
          extensions: { code: 'BAD_USER_INPUT', field: 'name' },
        },
      ],
    });
  });

  it('answers a header Node refuses to parse (a control character) with JSON 400 BAD_REQUEST', async () => {
    // fetch will not send such a header; a hostile client writes the bytes itself.
    const response = await rawRequest(router.url, {
      headers: ['x-cart-id: a\u0001b'],
      body: OPERATION,
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('logs each refused request with its id and status', async () => {
    await post(OPERATION.slice(0, 12), {
      'content-type': 'application/json',
      'x-request-id': `req-truncated-${nodeEnv}`,
    });
    expect(router.logs).toContainEqual(
      expect.objectContaining({
        msg: 'request',
        requestId: `req-truncated-${nodeEnv}`,
        status: 400,
      }),
    );
  });
});
