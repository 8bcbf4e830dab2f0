import { randomUUID } from 'node:crypto';
import { createLogger } from '@shop/logging';
import { startMetricsServer } from '@shop/subgraph-kit';
import { waitFor } from '@shop/test-harness';
import { OPERATION_NAME_LIMIT } from '../src/metrics';
import { startStack, type Stack } from './support/stack';
import {
  connect,
  record,
  startSubscriptionStack,
  TRACKED,
  type SubscriptionStack,
} from './support/subscriptions';

// What Prometheus reads from a router: this jest process is the router's process, so its
// registry is served the way runService serves it in production (METRICS_PORT).
let stack: Stack;
let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
beforeAll(async () => {
  stack = await startStack();
  metrics = await startMetricsServer(0, createLogger('metrics-test', 'silent'), '127.0.0.1');
});
afterAll(async () => {
  await metrics?.stop();
  await stack?.stop();
});

async function scrapeText(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the series `name{labels}` (exactly these labels), 0 when absent. */
async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of (await scrapeText()).split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (have === wanted) return Number(match[3]);
  }
  return 0;
}

const count = (operation: string, type = 'query') =>
  value('shop_router_operation_duration_seconds_count', { operation, type });
const errors = (operation: string, code: string) =>
  value('shop_router_operation_errors_total', { operation, code });

describe('router operation metrics', () => {
  it('count each operation by name and type, with its duration', async () => {
    const before = await count('Caller');
    const bucketBefore = await value('shop_router_operation_duration_seconds_bucket', {
      operation: 'Caller',
      type: 'query',
      le: '+Inf',
    });
    for (let i = 0; i < 3; i++) {
      const { body } = await stack.router.post({ query: 'query Caller { caller { roles } }' });
      expect(body.errors).toBeUndefined();
    }
    expect(await count('Caller')).toBe(before + 3);
    expect(
      await value('shop_router_operation_duration_seconds_bucket', {
        operation: 'Caller',
        type: 'query',
        le: '+Inf',
      }),
    ).toBe(bucketBefore + 3);
    expect(
      await value('shop_router_operation_duration_seconds_sum', {
        operation: 'Caller',
        type: 'query',
      }),
    ).toBeGreaterThan(0);
    expect(await errors('Caller', 'BAD_USER_INPUT')).toBe(0);
  });

  it('count errors by operation and code', async () => {
    const before = await errors('Refused', 'BAD_USER_INPUT');
    const { body } = await stack.router.post({ query: 'query Refused { fail(kind: BAD_INPUT) }' });
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await errors('Refused', 'BAD_USER_INPUT')).toBe(before + 1);
    expect(await count('Refused')).toBeGreaterThanOrEqual(1);
  });

  it('group anonymous and invalid operations, and never label with the query text', async () => {
    const anonymous = await count('__anonymous');
    const invalid = await errors('__unresolved', 'GRAPHQL_VALIDATION_FAILED');
    const marker = `marker${randomUUID().replace(/-/g, '')}`;
    await stack.router.post({ query: `{ ${marker}: caller { roles } }` });
    const refused = await stack.router.post({ query: `query NoSuchField { ${marker} }` });
    expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    expect(await count('__anonymous')).toBe(anonymous + 1);
    expect(await errors('__unresolved', 'GRAPHQL_VALIDATION_FAILED')).toBe(invalid + 1);
    expect(await scrapeText()).not.toContain(marker);
  });

  it(`keep at most ${OPERATION_NAME_LIMIT} operation names; more are counted as __other`, async () => {
    const other = await count('__other');
    for (let i = 0; i < OPERATION_NAME_LIMIT + 5; i++) {
      await stack.router.post({ query: `query Made${i} { caller { roles } }` });
    }
    const names = new Set(
      [
        ...(await scrapeText()).matchAll(
          /shop_router_operation_duration_seconds_count\{[^}]*operation="([^"]+)"/g,
        ),
      ].map((m) => m[1]!),
    );
    const named = [...names].filter((name) => !name.startsWith('__'));
    expect(named.length).toBe(OPERATION_NAME_LIMIT);
    expect(await count('__other')).toBeGreaterThanOrEqual(other + 5);
  });

  it('time every subgraph fetch, and count a subgraph that does not answer', async () => {
    const users = await value('shop_router_subgraph_fetch_duration_seconds_count', {
      subgraph: 'users',
    });
    await stack.router.post({ query: '{ caller { roles } }' });
    expect(
      await value('shop_router_subgraph_fetch_duration_seconds_count', { subgraph: 'users' }),
    ).toBe(users + 1);

    // Nothing listens on port 9 (discard).
    const down = await stack.startRouter({
      SUPERGRAPH_PATH: stack.composeSupergraph({ users: 'http://127.0.0.1:9/graphql' }),
    });
    const unavailable = await value('shop_router_subgraph_fetch_errors_total', {
      subgraph: 'users',
      kind: 'unavailable',
    });
    const { body } = await down.post({ query: '{ caller { roles } }' });
    expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(
      await value('shop_router_subgraph_fetch_errors_total', {
        subgraph: 'users',
        kind: 'unavailable',
      }),
    ).toBe(unavailable + 1);
    expect(await errors('__anonymous', 'SERVICE_UNAVAILABLE')).toBeGreaterThanOrEqual(1);
  });

  it('are not served on the public port', async () => {
    const response = await stack.router.get('/metrics');
    expect(response.status).toBe(404);
    expect(JSON.stringify(response.body)).not.toContain('shop_router_operation');
  });

  it('count nothing with METRICS_ENABLED=false', async () => {
    const off = await stack.startRouter({ METRICS_ENABLED: 'false' });
    const { body } = await off.post({ query: 'query Unmeasured { caller { roles } }' });
    expect(body.errors).toBeUndefined();
    expect(await count('Unmeasured')).toBe(0);
  });
});

describe('router subscription metrics', () => {
  let subscriptions: SubscriptionStack;
  beforeAll(async () => {
    subscriptions = await startSubscriptionStack();
  });
  afterAll(() => subscriptions?.stop());

  it('show open connections, client subscriptions and the shared groups serving them', async () => {
    const orderId = randomUUID();
    const token = subscriptions.tokens.userToken({ sub: randomUUID() });
    // One customer on two devices: two connections, two subscriptions, one shared group.
    const devices = [0, 1].map(() =>
      connect(subscriptions.router, { authorization: `Bearer ${token}` }),
    );
    for (const { client } of devices) record(client, { query: TRACKED, variables: { orderId } });
    await waitFor(
      () =>
        subscriptions.tracking.active(orderId) === 1 &&
        subscriptions.router.subscriptions!.groups().members === 2,
      {
        what: 'two subscriptions in one group',
      },
    );
    expect(await value('shop_router_websocket_connections')).toBe(2);
    expect(await value('shop_router_subscriptions')).toBe(2);
    expect(await value('shop_router_subscription_groups')).toBe(1);

    for (const { client } of devices) await client.dispose();
    await waitFor(async () => (await value('shop_router_websocket_connections')) === 0, {
      what: 'the connections to close',
    });
    expect(await value('shop_router_subscriptions')).toBe(0);
    expect(await value('shop_router_subscription_groups')).toBe(0);
  });
});
