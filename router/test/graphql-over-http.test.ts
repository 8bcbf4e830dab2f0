// The GraphQL-over-HTTP spec, checked by graphql-http's own server audit (every MUST, SHOULD
// and MAY it knows), what the legacy application/json rule changes and does not change, and
// what CSRF prevention still refuses now that plain cookieless GETs are served.
import { serverAudits } from 'graphql-http';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

it('passes every MUST, SHOULD and MAY of graphql-http', async () => {
  const failed: string[] = [];
  let passed = 0;
  for (const audit of serverAudits({ url: stack.router.url })) {
    const result = await audit.fn();
    if (result.status === 'ok') passed += 1;
    else failed.push(`${result.status}: ${audit.name}`);
  }
  expect(failed).toEqual([]);
  expect(passed).toBe(61);
});

describe('CSRF prevention, with plain GETs allowed', () => {
  const get = (headers: Record<string, string> = {}, query = '{ caller { userId } }') =>
    fetch(`${stack.router.url}?query=${encodeURIComponent(query)}`, { headers });

  it('answers a plain cookieless GET query, as an anonymous caller', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data?: unknown }).data).toEqual({ caller: { userId: null } });
  });

  it('still refuses a simple GET that carries a cookie, and any mutation over GET', async () => {
    const withCookie = await get({ cookie: 'session=abc' });
    expect(withCookie.status).toBe(400);
    expect(await withCookie.text()).toMatch(/CSRF/i);
    // With a cookie and the preflight header (a same-site app), it runs.
    expect((await get({ cookie: 'session=abc', 'apollo-require-preflight': 'true' })).status).toBe(
      200,
    );
    const mutation = await get({}, 'mutation { anything }');
    expect(mutation.status).toBe(405);
  });

  it('still refuses a simple cross-site POST (text/plain)', async () => {
    const res = await fetch(stack.router.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ caller { userId } }' }),
    });
    expect(res.status).toBe(400);
  });
});

type Answer = { errors: { extensions: { code: string } }[] };

const post = (body: unknown, accept?: string) =>
  fetch(stack.router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
    body: JSON.stringify(body),
  });

it('answers a document that does not parse with 200 to application/json clients only', async () => {
  const broken = { query: '{ users(first: 2) { totalCount ' };
  const legacy = await post(broken, 'application/json');
  expect(legacy.status).toBe(200);
  expect(((await legacy.json()) as Answer).errors[0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');

  const modern = await post(broken, 'application/graphql-response+json, application/json;q=0.9');
  expect(modern.status).toBe(400);
  expect((await post(broken)).status).toBe(400); // no preference stated: as before
});

it('treats limits as validation, and keeps 400 for what is not a GraphQL request', async () => {
  expect((await post({ nothing: true }, 'application/json')).status).toBe(400);
  // The depth, alias and cost limits are validation rules: the same rule as a failed
  // validation for legacy clients, still 400 for everyone else.
  const aliases = Array.from({ length: 31 }, (_, n) => `a${n}: users { totalCount }`);
  const tooMany = { query: `{ ${aliases.join(' ')} }` };
  const legacy = await post(tooMany, 'application/json');
  expect(((await legacy.json()) as Answer).errors[0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
  expect(legacy.status).toBe(200);
  expect((await post(tooMany)).status).toBe(400);
});
