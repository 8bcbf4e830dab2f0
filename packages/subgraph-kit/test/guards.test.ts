// What every subgraph does with hostile input before its own code runs: entity
// representations, unstorable text, malformed HTTP, outages and refused nested fields.
import { gzipSync } from 'node:zlib';
import { parse } from 'graphql';
import { localKeys, requireUser, TokenVerifier } from '@shop/auth';
import { createLogger } from '@shop/logging';
import {
  checkDisplayText,
  decodeKeysetCursor,
  encodeCursor,
  startSubgraph,
  type BaseContext,
  type RunningSubgraph,
} from '../src';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Thing @key(fields: "id") { id: ID! name: String! secret: String }
  type Query { thing(id: ID!): Thing storeDown: String }
  type Mutation { rename(id: ID!, name: String!): Thing! }
`);

/** What the resolvers saw: a guard that works leaves them untouched by bad input. */
const seen: string[] = [];
const resolvers = {
  Thing: {
    // Trusts its key to be a string, as reference resolvers in the shop do.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: ref.id.toLowerCase() }),
    secret: (_: unknown, __: unknown, context: BaseContext) => {
      requireUser(context.identity);
      return 'hidden';
    },
  },
  Query: {
    thing: (_: unknown, { id }: { id: string }) => ({ id, name: 'thing' }),
    storeDown: () => {
      // What mongoose throws when no server answers in time.
      const error = new Error('Server selection timed out after 2000 ms');
      error.name = 'MongoServerSelectionError';
      throw error;
    },
  },
  Mutation: {
    rename: (_: unknown, args: { id: string; name: string }) => {
      seen.push(args.name);
      return { id: args.id, name: args.name };
    },
  },
};

let service: RunningSubgraph;
beforeAll(async () => {
  service = await startSubgraph(
    {
      name: 'guarded',
      typeDefs,
      resolvers,
      verifier: new TokenVerifier({
        issuer: 'test',
        audience: 'test',
        keys: localKeys(() => new Map()),
      }),
      logger: createLogger('guarded', 'silent'),
      context: (base) => base,
      ready: async () => undefined,
      bodyLimit: '10kb',
    },
    0,
    '127.0.0.1',
  );
});
afterAll(() => service.stop());
beforeEach(() => {
  seen.length = 0;
});

async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    text,
  };
}

const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await post(JSON.stringify({ query, variables }));
  return { status: res.status, ...JSON.parse(res.text) };
};

const ENTITIES = 'query($r:[_Any!]!){_entities(representations:$r){ ... on Thing { id name } }}';

describe('entity representations', () => {
  it('answers each malformed representation with BAD_USER_INPUT at its own index and resolves the rest', async () => {
    const res = await gql(ENTITIES, {
      r: [
        { __typename: 'Thing', id: 1 },
        { __typename: 'Nope', id: 'x' },
        { __typename: 'Thing', id: 'OK' },
        { __typename: 'Thing', id: null },
        { __typename: 'Thing' },
        'a string',
        { __typename: 'Thing', id: 'x'.repeat(1_000) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.data._entities).toEqual([
      null,
      null,
      { id: 'OK', name: 'ok' },
      null,
      null,
      null,
      null,
    ]);
    expect(res.errors.map((e: { path: unknown[] }) => e.path)).toEqual([
      ['_entities', 0],
      ['_entities', 1],
      ['_entities', 3],
      ['_entities', 4],
      ['_entities', 5],
      ['_entities', 6],
    ]);
    for (const error of res.errors) expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(res.errors[1].message).toMatch(/no entity of type "Nope"/);
    const health = await fetch(service.url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
  });
});

describe('text no store can keep', () => {
  it.each([
    ['a NUL byte in a variable', { id: '1', name: 'Ann\u0000' }],
    ['a lone high surrogate in a variable', { id: '1', name: 'Ann\uD800' }],
    ['a lone low surrogate in a variable', { id: '1', name: '\uDC00Ann' }],
  ])('refuses %s before any resolver runs, naming the field', async (_case, variables) => {
    const res = await gql(
      'mutation($id: ID!, $name: String!){ rename(id: $id, name: $name) { id } }',
      variables,
    );
    expect(res.status).toBe(400);
    expect(res.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(seen).toEqual([]);
  });

  it('refuses a NUL in a literal, naming the argument', async () => {
    const res = await gql('mutation { rename(id: "1", name: "A\\u0000") { id } }');
    expect(res.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(seen).toEqual([]);
  });

  it('lets well-formed text through, astral characters included', async () => {
    const res = await gql('mutation($name: String!){ rename(id: "1", name: $name) { name } }', {
      name: 'Zoë 🚲',
    });
    expect(res.data.rename.name).toBe('Zoë 🚲');
  });
});

describe('display text', () => {
  it('refuses line breaks, control characters and direction overrides in one-line text', () => {
    for (const bad of ['Ann\r\nBcc: x', 'Ann\u0007', 'Ann\u202Egnp.exe', 'A\u2066B']) {
      expect(() => checkDisplayText(bad, 'input.name')).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } }),
      );
    }
    expect(checkDisplayText('Ann-Marie O’Neil', 'input.name')).toBe('Ann-Marie O’Neil');
  });

  it('allows line breaks and tabs in multi-line text, nothing else', () => {
    expect(checkDisplayText('Left at door\n\tbehind the bin', 'note', { multiline: true })).toMatch(
      /bin/,
    );
    expect(() => checkDisplayText('x\u001B[2J', 'note', { multiline: true })).toThrow(/note/);
  });
});

describe('malformed HTTP', () => {
  it.each([
    ['truncated JSON', '{"query":"{ thing', {}, 400, /not valid JSON/],
    [
      'a body over the limit',
      JSON.stringify({ query: `{ thing(id: "${'x'.repeat(20_000)}") { id } }` }),
      {},
      413,
      /larger than the limit/,
    ],
    [
      'charset=utf-16',
      '{"query":"{ __typename }"}',
      // body-parser accepts any utf-* charset; the UTF-8 bytes then decode to garbage.
      { 'content-type': 'application/json; charset=utf-16' },
      400,
      /not valid JSON/,
    ],
    [
      'gzip encoding on plain JSON',
      '{"query":"{ __typename }"}',
      { 'content-encoding': 'gzip' },
      400,
      /could not be read/,
    ],
  ] as const)(
    'answers %s with a GraphQL-shaped JSON error',
    async (_case, body, headers, status, message) => {
      const res = await post(body, headers);
      expect(res.status).toBe(status);
      expect(res.contentType).toMatch(/application\/json/);
      const parsed = JSON.parse(res.text);
      expect(parsed.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(parsed.errors[0].message).toMatch(message);
      expect(res.text).not.toMatch(/<html|at \w+ \(|node_modules|\/src\//i);
    },
  );

  it('still reads a body that really is gzip-compressed', async () => {
    const res = await post(gzipSync(JSON.stringify({ query: '{ thing(id: "1") { name } }' })), {
      'content-encoding': 'gzip',
    });
    expect(JSON.parse(res.text).data.thing.name).toBe('thing');
  });

  it('answers an unknown path with JSON 404', async () => {
    const res = await fetch(service.url.replace('/graphql', '/nope/../admin'));
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('NOT_FOUND');
  });
});

describe('failures a client can act on', () => {
  it('reports a store outage as SERVICE_UNAVAILABLE, retryable', async () => {
    const res = await gql('{ storeDown }');
    expect(res.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('keeps HTTP 200 and the rest of the data when a nested field needs a signed-in caller', async () => {
    const res = await gql('{ thing(id: "1") { name secret } }');
    expect(res.status).toBe(200);
    expect(res.data.thing).toEqual({ name: 'thing', secret: null });
    expect(res.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('caching', () => {
  it('tells every cache not to keep an answer, data or error', async () => {
    const ok = await post(JSON.stringify({ query: '{ thing(id: "1") { name } }' }));
    const refused = await post(JSON.stringify({ query: '{ thing(id: "1") { nope } }' }));
    expect([ok.status, ok.cacheControl]).toEqual([200, 'no-store']);
    expect([refused.status, refused.cacheControl]).toEqual([400, 'no-store']);
  });
});

describe('cursors', () => {
  const isId = (id: string) => /^[0-9a-f-]{36}$/.test(id);
  const id = '0b0f5a4e-6a43-4a4e-9a4f-2f1e0f3b6f00';

  it('refuses a position outside the dates a store can hold, naming after', () => {
    for (const at of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z']) {
      expect(() => decodeKeysetCursor(encodeCursor([at, id]), isId)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
      );
    }
  });

  it('accepts a cursor it issued', () => {
    const at = '2026-12-04T19:00:00.000Z';
    expect(decodeKeysetCursor(encodeCursor([at, id]), isId)).toEqual({
      createdAt: new Date(at),
      id,
    });
  });
});
