// Hostile requests sent straight at every service of the running platform — the router and
// each subgraph's own port, as anyone inside the network (or a misconfigured ingress) can:
// malformed entity representations, then HTTP that is not the JSON a GraphQL client sends.
// Every one must be refused with a coded JSON error and leave the service healthy.
import { fixtureForFile } from '@shop/test-harness';
import { startPlatform } from '../src/platform';
import { codedErrors, leaksIn, originOf, send, type RawResponse } from '../src/hostile';

const platform = fixtureForFile(() => startPlatform());

type Service = 'router' | 'users' | 'products' | 'cart' | 'orders' | 'delivery' | 'notifications';
const SUBGRAPHS = ['users', 'products', 'cart', 'orders', 'delivery', 'notifications'] as const;

const graphqlUrl = (service: Service) =>
  service === 'router' ? platform.url : platform[service].service.url;

const ENTITIES = 'query($r:[_Any!]!){_entities(representations:$r){__typename}}';

/**
 * The request that once took a subgraph process down (a numeric or null key reached a
 * reference resolver, whose rejection nobody awaited), per subgraph with its own entity
 * type. Cart only refers to Product (`resolvable: false`); notifications has no entity type
 * at all, so it has no `_entities` field.
 */
const BAD_REPRESENTATIONS: Record<(typeof SUBGRAPHS)[number], unknown[]> = {
  products: [
    { __typename: 'Product', id: 1 },
    { __typename: 'Nope', id: 'x' },
  ],
  orders: [{ __typename: 'Order', id: null }, { __typename: 'Nope' }],
  delivery: [{ __typename: 'Shipment', id: null }, { __typename: 'Nope' }],
  users: [{ __typename: 'User', id: null }, { __typename: 'Nope' }],
  cart: [{ __typename: 'Product', id: 1 }, { __typename: 'Nope' }],
  notifications: [{ __typename: 'Product', id: 1 }, { __typename: 'Nope' }],
};

async function expectHealthy(service: Service) {
  const res = await fetch(`${originOf(graphqlUrl(service))}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok' });
}

/** A refusal as the shop promises it: 4xx, JSON, coded, nothing internal in the body. */
function expectCodedRefusal(res: RawResponse, status: number | [number, number]) {
  if (Array.isArray(status)) {
    expect(res.status).toBeGreaterThanOrEqual(status[0]);
    expect(res.status).toBeLessThanOrEqual(status[1]);
  } else {
    expect(res.status).toBe(status);
  }
  expect(res.contentType).toMatch(/^application\/json/);
  expect(leaksIn(res.text)).toEqual([]);
  const errors = codedErrors(res);
  expect(errors.map((e) => e.extensions!.code)).not.toContain('INTERNAL_SERVER_ERROR');
  return errors;
}

describe('malformed _entities representations sent straight at a subgraph', () => {
  it.each(['users', 'products', 'cart', 'orders', 'delivery'] as const)(
    '%s: each bad representation is BAD_USER_INPUT at its own index; the service stays up',
    async (service) => {
      const res = await send(graphqlUrl(service), {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: ENTITIES,
          variables: { r: BAD_REPRESENTATIONS[service] },
        }),
      });
      const errors = expectCodedRefusal(res, 200);
      expect(errors.map((e) => [e.path, e.extensions!.code])).toEqual([
        [['_entities', 0], 'BAD_USER_INPUT'],
        [['_entities', 1], 'BAD_USER_INPUT'],
      ]);
      expect(JSON.parse(res.text).data).toEqual({ _entities: [null, null] });
      await expectHealthy(service);
    },
  );

  it.each(['notifications'] as const)(
    '%s has no entity type: the same request is a validation error; the service stays up',
    async (service) => {
      const res = await send(graphqlUrl(service), {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: ENTITIES, variables: { r: BAD_REPRESENTATIONS[service] } }),
      });
      const errors = expectCodedRefusal(res, 400);
      expect(errors.map((e) => e.extensions!.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      await expectHealthy(service);
    },
  );
});

/** One malformed request: how it is sent, and the status that describes it. */
interface Malformed {
  name: string;
  request: () => { path: string; method?: string; headers?: Record<string, string>; body?: string };
  status: number | [number, number];
}

const QUERY = JSON.stringify({ query: '{ __typename }' });
const MALFORMED: Malformed[] = [
  {
    name: 'truncated JSON',
    request: () => ({
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: QUERY.slice(0, QUERY.length - 3),
    }),
    status: 400,
  },
  {
    // Every service's limit is at most 1 MiB; 3 MiB is over all of them.
    name: 'a body over the limit',
    request: () => ({
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3 << 20) } }),
    }),
    status: 413,
  },
  {
    // body-parser decodes any utf-* charset: UTF-8 bytes read as UTF-16 are not JSON (400);
    // a charset it cannot decode at all would be 415.
    name: 'JSON declared as UTF-16',
    request: () => ({
      path: '/graphql',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      body: QUERY,
    }),
    status: [400, 415],
  },
  {
    name: 'a plain JSON body declared as gzip',
    request: () => ({
      path: '/graphql',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: QUERY,
    }),
    status: 400,
  },
  {
    name: 'a POST to an unknown path',
    request: () => ({
      path: '/graphql-but-not-quite/../../etc/passwd%00',
      headers: { 'content-type': 'application/json' },
      body: QUERY,
    }),
    status: 404,
  },
  {
    name: 'a GET of an unknown path',
    request: () => ({ path: '/admin/.env', method: 'GET' }),
    status: 404,
  },
];

describe('malformed HTTP at every service', () => {
  const services: Service[] = ['router', ...SUBGRAPHS];
  const cases = services.flatMap((service) => MALFORMED.map((m) => [service, m.name, m] as const));

  it.each(cases)('%s: %s → a coded JSON 4xx, and the service stays up', async (service, _n, m) => {
    const { path, ...init } = m.request();
    const res = await send(`${originOf(graphqlUrl(service))}${path}`, init);
    const errors = expectCodedRefusal(res, m.status);
    // A client can act on the message: it says what was wrong with the request.
    for (const e of errors) expect(e.message).not.toMatch(/internal|unexpected/i);
    await expectHealthy(service);
  });
});
