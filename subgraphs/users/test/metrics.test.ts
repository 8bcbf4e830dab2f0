import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTestDatabase,
  deleteKeys,
  errorCodes,
  graphql,
  startServiceProcess,
  testKeyPrefix,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
} from '@shop/test-harness';
import { LOGIN, newCustomer, REGISTER } from './support/operations';

// The users service as production starts it (src/main.ts through runService): GET /metrics
// on METRICS_PORT, a listener of its own, with the process defaults, its outbox gauges and
// its login refusals; the public port knows no /metrics.
let db: TestDatabase;
let users: ServiceProcess;
let metricsUrl: string;
const prefix = testKeyPrefix('users-metrics');

beforeAll(async () => {
  db = await createTestDatabase('users');
  users = await startServiceProcess('subgraphs/users', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    USERS_PORT: '0',
    METRICS_PORT: '0',
    USERS_DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    QUEUE_PREFIX: prefix.replace(/:$/, ''),
    JWT_DEV_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'users-keys-')), 'jwt.pem'),
    OAUTH_CLIENTS: 'orders-service:orders-service-secret-0123:users:read',
    LOGIN_MAX_ATTEMPTS_PER_EMAIL: '1',
  });
  // The metrics listener logs its port before the service starts.
  const line = users.log.find((l) => l.includes('"metricsPort"'));
  const { metricsPort } = JSON.parse(line!) as { metricsPort: number };
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
}, 90_000);
afterAll(async () => {
  await users?.stop();
  await db?.drop();
  await deleteKeys(prefix);
});

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of the first series of `name` whose line holds every label given. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}) {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('users metrics', () => {
  it('serves the process defaults and the outbox gauges, labelled with the service', async () => {
    const text = await scrape();
    expect(valueOf(text, 'process_cpu_user_seconds_total', { service: 'users' })).toBeGreaterThan(
      0,
    );
    expect(valueOf(text, 'nodejs_eventloop_lag_seconds', { service: 'users' })).toBeDefined();
    expect(
      valueOf(text, 'shop_outbox_unpublished_rows', { service: 'users' }),
    ).toBeGreaterThanOrEqual(0);
  });

  it('counts a refused login (RATE_LIMITED)', async () => {
    const url = `${users.origin}/graphql`;
    const input = newCustomer();
    expect((await graphql(url, REGISTER, { input })).errors).toBeUndefined();
    const before =
      valueOf(await scrape(), 'shop_users_rate_limit_refusals_total', { action: 'login' }) ?? 0;
    await graphql(url, LOGIN, { email: input.email, password: 'wrong password!' });
    const refused = await graphql(url, LOGIN, { email: input.email, password: input.password });
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    const after = valueOf(await scrape(), 'shop_users_rate_limit_refusals_total', {
      action: 'login',
    });
    expect(after).toBe(before + 1);
  });

  it('is not served on the public port', async () => {
    const response = await fetch(`${users.origin}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('process_cpu_user_seconds_total');
  });

  it('stops with the service on SIGTERM', async () => {
    expect(await users.stop()).toBe(0);
    await waitFor(
      async () =>
        fetch(metricsUrl).then(
          () => false,
          () => true,
        ),
      {
        what: 'the metrics port to close',
      },
    );
  });
});
