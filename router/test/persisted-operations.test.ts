// Persisted operations: Automatic Persisted Queries with one Redis cache for every router
// replica, and the trusted-documents mode where only a manifest's operations run.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { deleteKeys, TEST_REDIS_URL, testKeyPrefix, waitFor } from '@shop/test-harness';
import { startStack, type Stack, type TestRouter } from './support/stack';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({
  extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } },
});

let stack: Stack;
let prefix: string;
let workDir: string;
let redis: Redis;
beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  stack = await startStack();
  prefix = testKeyPrefix('apq');
  workDir = mkdtempSync(path.join(tmpdir(), 'router-trusted-'));
});
afterAll(async () => {
  await stack.stop();
  await deleteKeys(prefix);
  redis.disconnect();
  rmSync(workDir, { recursive: true, force: true });
});

describe('Automatic Persisted Queries shared through Redis', () => {
  let first: TestRouter;
  let second: TestRouter;
  beforeAll(async () => {
    const env = { APQ_REDIS_URL: TEST_REDIS_URL, APQ_KEY_PREFIX: prefix };
    first = await stack.startRouter(env);
    second = await stack.startRouter(env);
  });

  it('a hash miss is PERSISTED_QUERY_NOT_FOUND; the retry with the text runs and registers it', async () => {
    const query = `{ users(first: 2) { totalCount } } # ${Date.now()}`;
    const miss = await first.post(persisted(query));
    expect(miss.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }),
    ]);

    const registered = await first.post({ query, ...persisted(query) });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data.users.totalCount).toEqual(expect.any(Number));
    // Apollo Server stores the text after answering (it does not wait for the cache).
    await waitFor(async () => (await redis.exists(`${prefix}apq:${sha256(query)}`)) === 1, {
      what: 'the registration in Redis',
    });

    // Another replica, which never saw the text, runs it by hash alone.
    const elsewhere = await second.post(persisted(query));
    expect(elsewhere.body).toEqual(registered.body);
  });

  it('a replica that has read a text once runs it by hash without asking Redis again', async () => {
    const query = `{ users(first: 3) { totalCount } } # ${Date.now()}`;
    await first.post({ query, ...persisted(query) });
    const key = `${prefix}apq:${sha256(query)}`;
    await waitFor(async () => (await redis.exists(key)) === 1, { what: 'the registration' });
    const read = await second.post(persisted(query));
    expect(read.body.data.users.totalCount).toBe(3);

    // Gone from Redis (expired, flushed): the replicas that know the text still run it,
    // a replica that never saw it meets the miss and the client registers it again.
    await redis.del(key);
    expect((await second.post(persisted(query))).body).toEqual(read.body);
    expect((await first.post(persisted(query))).body).toEqual(read.body);
    const third = await stack.startRouter({
      APQ_REDIS_URL: TEST_REDIS_URL,
      APQ_KEY_PREFIX: prefix,
    });
    expect((await third.post(persisted(query))).body.errors[0].extensions.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('a hash that is not the text’s SHA-256 is refused, and nothing is stored under it', async () => {
    const query = `{ users(first: 1) { totalCount } } # ${Date.now()}`;
    const forged = {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('something else') } },
    };
    expect((await first.post(forged)).status).toBe(400);
    const miss = await second.post({ extensions: forged.extensions });
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('trusted documents only', () => {
  const TRUSTED = 'query TwoUsers { users(first: 2) { totalCount } }';
  let router: TestRouter;
  beforeAll(async () => {
    // GraphQL Code Generator's client preset writes { "<sha256>": "<document>" }.
    const manifest = path.join(workDir, 'persisted-documents.json');
    writeFileSync(manifest, JSON.stringify({ [sha256(TRUSTED)]: TRUSTED }));
    router = await stack.startRouter({ TRUSTED_DOCUMENTS_PATH: manifest });
  });

  const notInList = (res: { status: number; body: any }) => {
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: expect.stringContaining('runs only the operations its apps were built with'),
        extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
      },
    ]);
  };

  it('runs a manifest document by its id, by its APQ hash, by its exact text and over GET', async () => {
    const byId = await router.post({ documentId: sha256(TRUSTED) });
    expect(byId.status).toBe(200);
    expect(byId.body.data.users.totalCount).toEqual(expect.any(Number));
    expect((await router.post(persisted(TRUSTED))).body).toEqual(byId.body);
    expect((await router.post({ query: TRUSTED })).body).toEqual(byId.body);

    const search = new URLSearchParams({ documentId: sha256(TRUSTED) });
    const overGet = await fetch(`${router.url}?${search}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await overGet.json()).toEqual(byId.body);
  });

  it('refuses any other document, an unknown id and an APQ registration, before any subgraph call', async () => {
    const calls = stack.users.requests.length;
    notInList(await router.post({ query: '{ users(first: 50) { totalCount } }' }));
    notInList(await router.post({ documentId: sha256('nope') }));
    const other = '{ users(first: 3) { totalCount } }';
    notInList(await router.post({ query: other, ...persisted(other) }));
    notInList(await router.post({ query: `${TRUSTED} ` })); // not the exact text
    expect(stack.users.requests.length).toBe(calls);
  });

  it('will not start with a manifest it cannot read', async () => {
    const broken = path.join(workDir, 'broken.json');
    writeFileSync(broken, '{"format": "apollo-persisted-query-manifest", "operations": 3}');
    await expect(stack.startRouter({ TRUSTED_DOCUMENTS_PATH: broken })).rejects.toThrow(
      /TRUSTED_DOCUMENTS_PATH .*broken\.json/,
    );
  });
});
