// SubgraphClient against a real HTTP server standing in for another subgraph (and for the
// users service's token endpoint): what goes on the wire, and which error each answer
// becomes for the calling subgraph and its client.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphQLError } from 'graphql';
import { ServiceTokenClient } from '@shop/auth';
import { ErrorCode, formatError, isOutage, ShopError } from '@shop/errors';
import { REQUEST_ID_HEADER } from '@shop/logging';
import { SubgraphClient, UpstreamUnavailableError } from '../src';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: { query: string; variables: Record<string, unknown> };
}
type Answer = { status?: number; json?: unknown; raw?: string } | 'hang';

/** The upstream: answers GraphQL with `answer`, issues numbered service tokens. */
const upstream = {
  received: [] as Received[],
  connections: 0,
  tokensIssued: 0,
  /** The service tokens the upstream accepts; others get the HTTP 401 subgraphs send. */
  accepts: (_token: string) => true,
  answer: (_req: Received): Answer => ({ json: { data: { ok: true } } }),
};
const hanging: http.ServerResponse[] = [];

const server = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  req.on('end', () => {
    if (req.url === '/oauth/token') {
      upstream.tokensIssued += 1;
      const token = `token-${upstream.tokensIssued}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, expires_in: 600 }));
      return;
    }
    const received = { headers: req.headers, body: JSON.parse(raw) };
    upstream.received.push(received);
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (bearer?.startsWith('token-') && !upstream.accepts(bearer)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [{ message: 'Token expired.', extensions: { code: 'UNAUTHENTICATED' } }],
        }),
      );
      return;
    }
    const answer = upstream.answer(received);
    if (answer === 'hang') {
      hanging.push(res);
      return;
    }
    res.writeHead(answer.status ?? 200, {
      'content-type': answer.raw ? 'text/html' : 'application/json',
    });
    res.end(answer.raw ?? JSON.stringify(answer.json));
  });
});
const sockets: Socket[] = [];
server.on('connection', (socket) => {
  upstream.connections += 1;
  sockets.push(socket);
});

let base: string;
const clients: SubgraphClient[] = [];

function clientFor(options: { timeoutMs?: number; path?: string } = {}) {
  const tokens = new ServiceTokenClient({
    tokenUrl: `${base}/oauth/token`,
    clientId: 'orders',
    clientSecret: 'secret',
  });
  const client = new SubgraphClient({
    name: 'products',
    url: `${base}${options.path ?? '/graphql'}`,
    timeoutMs: options.timeoutMs ?? 5_000,
    tokens,
  });
  clients.push(client);
  return client;
}

/** What the calling subgraph's own client would see for `error` (subgraph-kit's masking). */
const seenByClient = (error: unknown) =>
  formatError(
    error instanceof GraphQLError ? error.toJSON() : { message: (error as Error).message },
    error,
  );

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const res of hanging.splice(0)) res.destroy();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  upstream.received = [];
  upstream.connections = 0;
  upstream.tokensIssued = 0;
  upstream.accepts = () => true;
  upstream.answer = () => ({ json: { data: { ok: true } } });
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('the wire', () => {
  it('reuses one keep-alive connection for sequential calls', async () => {
    const client = clientFor();
    for (let i = 0; i < 20; i++) {
      await expect(client.data('query { ok }', { i })).resolves.toEqual({ ok: true });
      // Whatever the caller does between two calls: undici hands a socket back to the
      // pool one event-loop turn after its response (a server may close it regardless
      // of keep-alive), so a call made in the very same turn takes a second connection.
      await new Promise(setImmediate);
    }
    expect(upstream.received).toHaveLength(20);
    expect(upstream.connections).toBe(1);
  });

  it('keeps back-to-back calls on two connections at most', async () => {
    const client = clientFor();
    for (let i = 0; i < 20; i++) await client.data('query { ok }', { i });
    expect(upstream.connections).toBeLessThanOrEqual(2);
  });

  it('posts the query and variables with the request id and the chosen token', async () => {
    const client = clientFor({ path: '/graphql?from=orders' });
    await client.data('query Q($id: ID!) { ok }', { id: '7' }, { requestId: 'req-1' });
    await client.data('query { ok }', {}, { auth: { bearer: 'customer-jwt' } });
    await client.data('query { ok }', {}, { auth: 'service', requestId: 'req-3' });

    const [anonymous, customer, service] = upstream.received;
    expect(anonymous!.body).toEqual({ query: 'query Q($id: ID!) { ok }', variables: { id: '7' } });
    expect(anonymous!.headers).toMatchObject({
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: 'req-1',
    });
    expect(anonymous!.headers.authorization).toBeUndefined();
    expect(customer!.headers.authorization).toBe('Bearer customer-jwt');
    expect(customer!.headers[REQUEST_ID_HEADER]).toBeUndefined();
    expect(service!.headers).toMatchObject({
      authorization: 'Bearer token-1',
      [REQUEST_ID_HEADER]: 'req-3',
    });
  });

  it('closes its connections on close()', async () => {
    const client = clientFor();
    await client.data('query { ok }', {});
    const socket = sockets.at(-1)!;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await client.close();
    await closed;
    await expect(client.data('query { ok }', {})).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('an upstream that is down or too slow', () => {
  it('is UpstreamUnavailableError when it does not answer within the timeout', async () => {
    upstream.answer = () => 'hang';
    const error = await clientFor({ timeoutMs: 200 })
      .data('query { ok }', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(
      /^products at http:.* is unreachable: Headers Timeout/,
    );
  });

  it('is UpstreamUnavailableError when nothing listens on its port', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const client = new SubgraphClient({
      name: 'users',
      url: `http://127.0.0.1:${port}/graphql`,
      timeoutMs: 1_000,
    });
    clients.push(client);
    const error = await client.data('query { ok }', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('reaches the client as SERVICE_UNAVAILABLE (retryable), without the upstream detail', async () => {
    upstream.answer = () => 'hang';
    const error = await clientFor({ timeoutMs: 200 })
      .data('query { ok }', {})
      .catch((e: unknown) => e);
    expect(isOutage(error)).toBe(true);
    expect(seenByClient(error)).toEqual({
      message:
        'A service this operation needs is unavailable. Nothing was changed; try again shortly.',
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryable: true },
    });
  });

  it.each([
    ['an HTML 502 page', { status: 502, raw: '<html><body>Bad Gateway</body></html>' }, /HTTP 502/],
    ['an HTML 500 page', { status: 500, raw: '<html>oops</html>' }, /HTTP 500/],
    ['JSON that is not GraphQL', { status: 200, json: { status: 'ok' } }, /HTTP 200/],
    ['an answer without data', { status: 200, json: { data: null } }, /without data/],
  ])('is UpstreamUnavailableError for %s', async (_what, answer, message) => {
    upstream.answer = () => answer;
    const error = await clientFor()
      .data('query { ok }', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('calls as the service', () => {
  it('retry once with a fresh token when the upstream refuses the first', async () => {
    upstream.accepts = (token) => token !== 'token-1';
    const client = clientFor();
    await expect(client.data('query { ok }', {}, { auth: 'service' })).resolves.toEqual({
      ok: true,
    });
    expect(upstream.received.map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    // The fresh token is kept for the next calls.
    await client.data('query { ok }', {}, { auth: 'service' });
    expect(upstream.tokensIssued).toBe(2);
  });

  it('give up after that one retry: UNAUTHENTICATED, two calls, two tokens', async () => {
    upstream.accepts = () => false;
    const error = await clientFor()
      .data('query { ok }', {}, { auth: 'service' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopError);
    expect((error as ShopError).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(upstream.received).toHaveLength(2);
    expect(upstream.tokensIssued).toBe(2);
  });

  it('also retry on an UNAUTHENTICATED error in an HTTP 200 answer', async () => {
    let calls = 0;
    upstream.answer = () =>
      ++calls === 1
        ? { json: { errors: [{ message: 'No.', extensions: { code: 'UNAUTHENTICATED' } }] } }
        : { json: { data: { ok: true } } };
    await expect(clientFor().data('query { ok }', {}, { auth: 'service' })).resolves.toEqual({
      ok: true,
    });
    expect(upstream.tokensIssued).toBe(2);
  });

  it("are never retried with the customer's token", async () => {
    upstream.accepts = () => false;
    const error = await clientFor()
      .data('query { ok }', {}, { auth: { bearer: 'token-customer' } })
      .catch((e: unknown) => e);
    expect((error as ShopError).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(upstream.received).toHaveLength(1);
    expect(upstream.tokensIssued).toBe(0);
  });
});

describe('GraphQL errors', () => {
  const failing = (code: string, extensions: Record<string, unknown> = {}) => ({
    json: {
      data: null,
      errors: [{ message: `upstream says ${code}`, extensions: { ...extensions, code } }],
    },
  });

  it.each([
    [ErrorCode.BAD_USER_INPUT, { field: 'quantity' }],
    [ErrorCode.NOT_FOUND, {}],
    [ErrorCode.OUT_OF_STOCK, { available: 2, productId: 'p1' }],
    [ErrorCode.CONFLICT, {}],
    [ErrorCode.UNAUTHENTICATED, {}],
  ])('%s reaches the client as it is, with its extensions', async (code, extensions) => {
    upstream.answer = () => failing(code, extensions);
    const error = await clientFor()
      .data('mutation { reserve }', {}, { auth: { bearer: 'customer-jwt' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopError);
    expect(seenByClient(error)).toEqual({
      message: `upstream says ${code}`,
      extensions: { ...extensions, code },
    });
  });

  it.each([
    ErrorCode.FORBIDDEN,
    ErrorCode.SERVICE_UNAVAILABLE,
    ErrorCode.INTERNAL_SERVER_ERROR,
    'GRAPHQL_VALIDATION_FAILED',
  ])('%s means the upstream is unusable now', async (code) => {
    upstream.answer = () => ({
      status: code === 'GRAPHQL_VALIDATION_FAILED' ? 400 : 200,
      ...failing(code),
    });
    const error = await clientFor()
      .data('query { ok }', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toBe(`products failed: upstream says ${code} (${code})`);
    expect(seenByClient(error).extensions).toEqual({
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryable: true,
    });
  });
});

describe('entities', () => {
  const QUERY =
    'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id } } }';
  const refs = (...ids: string[]) => ids.map((id) => ({ __typename: 'Product', id }));
  const entityError = (index: number, code: string, field?: string) => ({
    message: `entity ${index}: ${code}`,
    path: field ? ['_entities', index, field] : ['_entities', index],
    extensions: { code },
  });

  it('are asked for in one call and come back in order; unknown ones are null', async () => {
    upstream.answer = () => ({
      json: {
        data: { _entities: [{ id: 'a' }, null, null, { id: 'd' }, null] },
        errors: [
          entityError(1, 'NOT_FOUND'),
          entityError(2, 'BAD_USER_INPUT'),
          entityError(4, 'NOT_FOUND', 'price'),
        ],
      },
    });
    const found = await clientFor().entities<{ id: string }>(QUERY, refs('a', 'b', 'c', 'd', 'e'));
    expect(found).toEqual([{ id: 'a' }, null, null, { id: 'd' }, null]);
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.body.variables).toEqual({
      representations: refs('a', 'b', 'c', 'd', 'e'),
    });
  });

  it('are not asked for when there are none', async () => {
    await expect(clientFor().entities(QUERY, [])).resolves.toEqual([]);
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    [
      'another code at one index',
      { data: { _entities: [{ id: 'a' }, null] }, errors: [entityError(1, 'SERVICE_UNAVAILABLE')] },
    ],
    [
      'an error outside _entities',
      {
        data: { _entities: [{ id: 'a' }, { id: 'b' }] },
        errors: [{ message: 'boom', extensions: { code: 'NOT_FOUND' } }],
      },
    ],
    ['a list of another length', { data: { _entities: [{ id: 'a' }] } }],
    [
      'no data at all',
      {
        data: null,
        errors: [
          { message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
        ],
      },
    ],
  ])('are UpstreamUnavailableError for %s', async (_what, json) => {
    upstream.answer = () => ({ json });
    const error = await clientFor()
      .entities(QUERY, refs('a', 'b'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('are asked for as the service with the same one retry', async () => {
    upstream.accepts = (token) => token !== 'token-1';
    upstream.answer = () => ({ json: { data: { _entities: [{ id: 'u1' }] } } });
    await expect(
      clientFor().entities(QUERY, [{ __typename: 'User', id: 'u1' }], { auth: 'service' }),
    ).resolves.toEqual([{ id: 'u1' }]);
    expect(upstream.received).toHaveLength(2);
  });
});
