// A failed start closes what it opened: the database client and the Redis client.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createLogger } from '@shop/logging';
import { TEST_REDIS_URL } from '@shop/test-harness';
import { loadUsersConfig } from '../src/config';
import { PrismaClient } from '../src/generated/prisma/client';
import { startUsersService } from '../src/server';

afterEach(() => jest.restoreAllMocks());

it('closes the database and Redis clients when the database does not answer', async () => {
  const quit = jest.spyOn(Redis.prototype, 'quit');
  const disconnect = jest.spyOn(PrismaClient.prototype, '$disconnect');
  const config = loadUsersConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    USERS_PORT: '0',
    // Nothing listens on port 1: creating the admin account, before the server starts, fails.
    USERS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/users',
    REDIS_URL: TEST_REDIS_URL,
    JWT_DEV_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'users-keys-')), 'jwt.pem'),
  });
  await expect(startUsersService(config, createLogger('users', 'silent'))).rejects.toThrow();
  expect(disconnect).toHaveBeenCalledTimes(1);
  expect(quit).toHaveBeenCalledTimes(1);
  // A client still in its handshake is disconnected: its socket ends a moment later.
  const redis = quit.mock.contexts[0] as Redis;
  if (redis.status !== 'end') await new Promise((ended) => redis.once('end', ended));
  expect(redis.status).toBe('end');
});
