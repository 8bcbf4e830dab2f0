// A failed start closes what it opened: the Redis client and the products connection pool.
import { Pool } from 'undici';
import Redis from 'ioredis';
import { createLogger } from '@shop/logging';
import { loadCartConfig } from '../src/config';
import { startCartService } from '../src/server';

jest.mock('@shop/subgraph-kit', () => ({
  ...jest.requireActual('@shop/subgraph-kit'),
  startSubgraph: jest
    .fn()
    .mockRejectedValue(new Error('listen EADDRINUSE: address already in use')),
}));

afterEach(() => jest.restoreAllMocks());

it('closes the Redis client and the products pool when the subgraph cannot start', async () => {
  const disconnect = jest.spyOn(Redis.prototype, 'disconnect');
  const close = jest.spyOn(Pool.prototype, 'close');
  const config = loadCartConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', CART_PORT: '0' });
  await expect(startCartService(config, createLogger('cart', 'silent'))).rejects.toThrow(
    'EADDRINUSE',
  );
  expect(disconnect).toHaveBeenCalledTimes(1);
  expect(close).toHaveBeenCalled();
  const redis = disconnect.mock.contexts[0] as Redis;
  expect(redis.status).toBe('end');
  const pool = close.mock.contexts[0] as Pool;
  expect(pool).toBeInstanceOf(Pool);
  expect(pool.closed).toBe(true);
});
