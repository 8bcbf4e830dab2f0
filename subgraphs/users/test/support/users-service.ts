import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTestDatabase,
  deleteKeys,
  graphql,
  testKeyPrefix,
  type GraphQLResponse,
  type TestDatabase,
} from '@shop/test-harness';
import { createLogger } from '@shop/logging';
import { loadUsersConfig, type UsersConfig } from '../../src/config';
import { startUsersService, type UsersService } from '../../src/server';
import { LOGIN } from './operations';

export const ADMIN = { email: 'admin@shop.test', password: 'admin-password-for-tests' };
export const SERVICE_CLIENT = {
  id: 'orders-service',
  secret: 'orders-service-secret-0123',
  scopes: ['users:read', 'products:reserve'],
};

export interface UsersFixture {
  service: UsersService;
  config: UsersConfig;
  db: TestDatabase;
  stop: () => Promise<void>;
}

/**
 * The users service on an ephemeral port with a database, a Redis key prefix and a
 * signing key of its own, so test files do not see each other's data.
 */
export async function startUsersFixture(
  overrides: Record<string, string> = {},
): Promise<UsersFixture> {
  const db = await createTestDatabase('users');
  const prefix = testKeyPrefix('users');
  const config = loadUsersConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    USERS_PORT: '0',
    USERS_DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    // BullMQ keys under the same per-file prefix: the outbox relay's jobs stay in this file.
    QUEUE_PREFIX: prefix.replace(/:$/, ''),
    OUTBOX_POLL_INTERVAL_MS: '100',
    JWT_DEV_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'users-keys-')), 'jwt.pem'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    OAUTH_CLIENTS: `${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}:${SERVICE_CLIENT.scopes.join('+')}`,
    // Test files sign up many accounts from one address; auth.test.ts checks the limit.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000',
    ...overrides,
  });
  const service = await startUsersService(config, createLogger('users', 'silent'));
  return {
    service,
    config,
    db,
    stop: async () => {
      await service.stop();
      await Promise.all([db.drop(), deleteKeys(prefix)]);
    },
  };
}

export interface UsersTestSession {
  fixture: UsersFixture;
  /** An access token of the ADMIN account. */
  adminToken: string;
  call: (
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ) => Promise<GraphQLResponse<Record<string, any>>>;
}

/**
 * Starts a users service for the calling test file (beforeAll) and stops it afterwards;
 * the returned object is filled in once the service runs.
 */
export function usersServiceForFile(overrides: Record<string, string> = {}): UsersTestSession {
  const session = {
    call: (query, variables = {}, token, headers) =>
      graphql<Record<string, any>>(session.fixture.service.url, query, variables, {
        token,
        headers,
      }),
  } as UsersTestSession;
  beforeAll(async () => {
    session.fixture = await startUsersFixture(overrides);
    session.adminToken = (await session.call(LOGIN, ADMIN)).data!.login.accessToken;
  }, 60_000);
  afterAll(() => session.fixture.stop());
  return session;
}
