import { gzipSync } from 'node:zlib';
import { startStack, type Stack, type TestRouter } from './support/stack';

// The router answers a plain JSON POST on its own short path and everything else through
// its Express app (src/graphql-lane.ts); a client must not be able to tell which.
let stack: Stack;
let router: TestRouter;
beforeAll(async () => {
  stack = await startStack();
  router = await stack.startRouter({ CORS_ORIGINS: 'https://shop.example.com' });
});
afterAll(() => stack.stop());

const OPERATION = JSON.stringify({ query: '{ caller { userId clientIp } }' });
const SHOWN_HEADERS = [
  'content-type',
  'vary',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'x-request-id',
];

async function answerTo(headers: Record<string, string>, body: string | Buffer) {
  const response = await fetch(router.url, { method: 'POST', headers, body });
  return {
    status: response.status,
    headers: Object.fromEntries(SHOWN_HEADERS.map((name) => [name, response.headers.get(name)])),
    body: await response.json(),
  };
}

describe('a plain JSON POST and one the Express path reads', () => {
  it('get the same status, headers and body', async () => {
    const common = {
      'content-type': 'application/json',
      origin: 'https://shop.example.com',
      'x-forwarded-for': '203.0.113.9',
    };
    const plain = await answerTo({ ...common, 'x-request-id': 'req-same' }, OPERATION);
    const compressed = await answerTo(
      { ...common, 'x-request-id': 'req-same', 'content-encoding': 'gzip' },
      gzipSync(OPERATION),
    );

    expect(plain).toEqual(compressed);
    expect(plain).toEqual({
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        vary: 'Origin',
        'access-control-allow-origin': 'https://shop.example.com',
        'access-control-expose-headers': 'x-request-id',
        'x-request-id': 'req-same',
      },
      body: { data: { caller: { userId: null, clientIp: '203.0.113.9' } } },
    });
  });

  it.each([
    ['a JSON scalar', '42'],
    ['a JSON string', '"{ caller { userId } }"'],
    ['JSON cut short', OPERATION.slice(0, 10)],
  ])('refuse %s as a body alike: 400 BAD_REQUEST, no subgraph called', async (_, text) => {
    const calls = stack.users.requests.length;
    const plain = await answerTo({ 'content-type': 'application/json' }, text);
    const compressed = await answerTo(
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync(text),
    );

    expect(plain.status).toBe(400);
    expect(plain.body).toEqual({
      errors: [
        { message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    expect({ ...plain, headers: { ...plain.headers, 'x-request-id': null } }).toEqual({
      ...compressed,
      headers: { ...compressed.headers, 'x-request-id': null },
    });
    expect(stack.users.requests.length).toBe(calls);
  });
});
