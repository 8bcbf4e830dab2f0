import { startStack, type Stack } from './support/stack';

/** `{ node { child { … { id } } } }` with `depth` levels of fields. */
function queryOfDepth(depth: number): string {
  return `{ node { ${'child { '.repeat(depth - 2)}id ${'} '.repeat(depth - 1)}}`;
}

function queryWithAliases(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: caller { userId }`).join(' ')} }`;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

/** Sends the operation and expects it refused with `code`, without any subgraph call. */
async function expectRefused(body: unknown, status: number, code: string) {
  const callsBefore = stack.users.requests.length;
  const response = await stack.router.post(body);

  expect(response.status).toBe(status);
  expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code } })]);
  expect(stack.users.requests.length).toBe(callsBefore);
  return response.body.errors[0].message as string;
}

describe('operation limits', () => {
  it('runs an operation exactly as deep as MAX_QUERY_DEPTH (12)', async () => {
    const { status, body } = await stack.router.post({ query: queryOfDepth(12) });

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('refuses a deeper operation as QUERY_TOO_COMPLEX before execution', async () => {
    expect(await expectRefused({ query: queryOfDepth(13) }, 400, 'QUERY_TOO_COMPLEX')).toBe(
      'Query depth limit of 12 exceeded, found 13.',
    );
    await expectRefused({ query: queryOfDepth(50) }, 400, 'QUERY_TOO_COMPLEX');
  });

  it('does not count fragments as a level of depth', async () => {
    const query = `{ node { ... on Node { ${'child { '.repeat(10)}id ${'} '.repeat(10)}} } }`;
    const { status, body } = await stack.router.post({ query });

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('allows MAX_ALIASES (30) aliases and refuses one more', async () => {
    const { status } = await stack.router.post({ query: queryWithAliases(30) });
    expect(status).toBe(200);

    expect(await expectRefused({ query: queryWithAliases(31) }, 400, 'QUERY_TOO_COMPLEX')).toBe(
      'Aliases limit of 30 exceeded, found 31.',
    );
  });

  it('refuses an operation of more than MAX_QUERY_TOKENS tokens while parsing it', async () => {
    const query = `{ caller { ${'userId '.repeat(5_000)}} }`;
    expect(await expectRefused({ query }, 400, 'GRAPHQL_PARSE_FAILED')).toMatch(
      // graphql 16 words it "more that"; a later version may fix the typo.
      /Document contains more (that|than) 5000 tokens/,
    );
  });
});

/** `count` aliases of one page of `first` users, ids and names. */
function pagesOfUsers(count: number, first: number | string): string {
  const page = `users(first: ${first}) { edges { node { id name } } }`;
  return Array.from({ length: count }, (_, i) => `p${i}: ${page}`).join(' ');
}

describe('query cost', () => {
  it('refuses 30 aliases of a 100-item page as QUERY_TOO_COMPLEX before any subgraph call', async () => {
    // Each page: users, edges, and node, id and name for 100 users = 302.
    const message = await expectRefused(
      { query: `{ ${pagesOfUsers(30, 100)} }` },
      400,
      'QUERY_TOO_COMPLEX',
    );
    expect(message).toBe(
      'Query cost limit of 3000 exceeded, found 9060. ' +
        'Ask for smaller pages (first), fewer fields or fewer aliases.',
    );
  });

  it('counts a page by the value of its first variable, and by 20 when it is not given', async () => {
    const query = `query Pages($first: Int) { ${pagesOfUsers(10, '$first')} }`;

    const small = await stack.router.post({ query, variables: { first: 10 } });
    expect(small.status).toBe(200);
    expect(small.body.data.p9.edges).toHaveLength(10);
    // 10 × (2 + 20 × 3) = 620.
    const byDefault = await stack.router.post({ query: `{ ${pagesOfUsers(10, 20)} }` });
    expect(byDefault.status).toBe(200);

    // 10 × (2 + 100 × 3) = 3020.
    const message = await expectRefused(
      { query, variables: { first: 100 } },
      400,
      'QUERY_TOO_COMPLEX',
    );
    expect(message).toMatch(/^Query cost limit of 3000 exceeded, found 3020\./);
  });

  it('counts a list without first as QUERY_COST_LIST_SIZE items, up to MAX_QUERY_COST exactly', async () => {
    // user, friends, and 10 × (friends, 10 × (friends, 10 × id)) = 2 + 10 × 111 = 1112.
    const query = '{ user(id: "u1") { friends { friends { friends { id } } } } }';
    const atTheLimit = await stack.startRouter({ MAX_QUERY_COST: '1112' });
    const { status, body } = await atTheLimit.post({ query });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();

    const below = await stack.startRouter({ MAX_QUERY_COST: '1111' });
    const refused = await below.post({ query });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        message: expect.stringMatching(/^Query cost limit of 1111 exceeded, found 1112\./),
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      },
    ]);

    // With lists counted as 2 items: 2 + 2 × (1 + 2 × (1 + 2)) = 16.
    const shortLists = await stack.startRouter({ MAX_QUERY_COST: '16', QUERY_COST_LIST_SIZE: '2' });
    expect((await shortLists.post({ query })).status).toBe(200);
  });

  it('counts a query again for each request whose variables change its pages, fragments included', async () => {
    const query = `
      query Pages($first: Int) { ...Pages }
      fragment Pages on Query { ${pagesOfUsers(10, '$first')} }`;
    for (const first of [10, 100, 10, 100]) {
      const { status, body } = await stack.router.post({ query, variables: { first } });
      expect([first, status]).toEqual([first, first === 10 ? 200 : 400]);
      if (first === 100) expect(body.errors[0].message).toMatch(/found 3020\./);
    }
  });

  it('refuses an over-limit query every time it is asked, and answers one within it every time', async () => {
    for (let i = 0; i < 2; i += 1) {
      await expectRefused({ query: `{ ${pagesOfUsers(30, 100)} }` }, 400, 'QUERY_TOO_COMPLEX');
      const { status, body } = await stack.router.post({ query: `{ ${pagesOfUsers(2, 5)} }` });
      expect([status, body.data?.p1.edges.length]).toEqual([200, 5]);
    }
  });

  it('counts fragments where they are spread', async () => {
    const router = await stack.startRouter({ MAX_QUERY_COST: '301' });
    const query = `
      query { users(first: 100) { ...Page } }
      fragment Page on UserConnection { edges { node { ... on User { id name } } } }`;
    const { body } = await router.post({ query });
    expect(body.errors[0].message).toMatch(/found 302\./);
  });
});

describe('request body', () => {
  it('refuses a body over MAX_BODY_BYTES (1 MiB) with 413', async () => {
    const padding = 'x'.repeat(1024 * 1024);
    const message = await expectRefused(
      { query: '{ caller { userId } }', variables: { padding } },
      413,
      'BAD_REQUEST',
    );
    expect(message).toBe('The request body is larger than the limit of 1048576 bytes.');
  });

  it('refuses a body that is not JSON with 400', async () => {
    const response = await fetch(stack.router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        { message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
  });
});

describe('field suggestions', () => {
  const typo = { query: '{ caller { userID } }' };

  it('are given outside production', async () => {
    const { body } = await stack.router.post(typo);
    expect(body.errors[0].message).toMatch(/Did you mean "userId"\?/);
  });

  it('are withheld in production, where they would leak the schema', async () => {
    const production = await stack.startRouter({ NODE_ENV: 'production' });
    const { body } = await production.post(typo);

    expect(body.errors[0]).toMatchObject({
      message: 'Cannot query field "userID" on type "Caller".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});
