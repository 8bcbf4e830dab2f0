// The users and products subgraphs as real processes, started through their entry points
// (src/main.ts, as tools/up.sh and the containers start them), hit with the malformed
// `_entities` request that once made a subgraph process exit: an unawaited rejection from a
// reference resolver ended the process (Node's default), taking every other customer's
// request with it. An in-process test cannot see an exit; this one can.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import {
  createTestDatabase,
  deleteKeys,
  startServiceProcess,
  TEST_MONGODB_URL,
  TEST_REDIS_URL,
  testKeyPrefix,
  testMongoDatabase,
  type ServiceProcess,
  type TestDatabase,
} from '@shop/test-harness';
import { codedErrors, leaksIn, send } from '../src/hostile';

const ISSUER = 'http://users.e2e.process';
let usersDb: TestDatabase;
let ledgerDb: TestDatabase;
let usersPrefix: string;
let products: { dbName: string };
let users: ServiceProcess | undefined;
let catalog: ServiceProcess | undefined;

beforeAll(async () => {
  usersDb = await createTestDatabase('users');
  usersPrefix = testKeyPrefix('users-process');
  users = await startServiceProcess('subgraphs/users', {
    // The platform's environment: what every e2e service runs with.
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    USERS_PORT: '0',
    USERS_DATABASE_URL: usersDb.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: usersPrefix,
    QUEUE_PREFIX: usersPrefix.replace(/:$/, ''),
    JWT_ISSUER: ISSUER,
    JWT_DEV_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'users-keys-')), 'jwt.pem'),
    ADMIN_EMAIL: 'admin@process.test',
    ADMIN_PASSWORD: 'admin-password-for-process-tests',
  });
  products = testMongoDatabase('products');
  ledgerDb = await createTestDatabase('products');
  catalog = await startServiceProcess('subgraphs/products', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    PRODUCTS_PORT: '0',
    MONGODB_URL: TEST_MONGODB_URL,
    PRODUCTS_DB_NAME: products.dbName,
    PRODUCTS_DATABASE_URL: ledgerDb.url,
    JWKS_URL: `${users.origin}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: 'shop',
  });
}, 120_000);

afterAll(async () => {
  await catalog?.stop();
  await users?.stop();
  const connection = await mongoose
    .createConnection(TEST_MONGODB_URL, { dbName: products.dbName })
    .asPromise();
  await connection.dropDatabase();
  await connection.close();
  await Promise.all([usersDb?.drop(), ledgerDb?.drop(), deleteKeys(usersPrefix)]);
}, 60_000);

const ENTITIES = 'query($r:[_Any!]!){_entities(representations:$r){__typename}}';

it.each([
  [
    'products',
    () => catalog!,
    [
      { __typename: 'Product', id: 1 },
      { __typename: 'Nope', id: 'x' },
    ],
  ],
  ['users', () => users!, [{ __typename: 'User', id: null }, { __typename: 'Nope' }]],
])(
  '%s: malformed representations are refused one by one and the process keeps serving',
  async (_name, service, representations) => {
    const res = await send(`${service().origin}/graphql`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ENTITIES, variables: { r: representations } }),
    });
    expect(res.status).toBe(200);
    expect(leaksIn(res.text)).toEqual([]);
    expect(codedErrors(res).map((e) => [e.path, e.extensions!.code])).toEqual([
      [['_entities', 0], 'BAD_USER_INPUT'],
      [['_entities', 1], 'BAD_USER_INPUT'],
    ]);

    // A rejection nobody awaited surfaces after the response: give it time to end the
    // process (as it did), then check the process is there and still answers.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(service().alive()).toBe(true);
    const health = await fetch(`${service().origin}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${service().origin}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    // Not even a logged one: the bad representations never reached a reference resolver.
    expect(service().log.filter((line) => line.includes('unhandled promise rejection'))).toEqual(
      [],
    );
  },
);
