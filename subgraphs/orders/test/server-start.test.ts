// A failed start closes what it opened: the database client and pool, and the connections
// to the subgraphs orders calls.
import { SubgraphClient } from '@shop/subgraph-client';
import { createLogger } from '@shop/logging';
import { loadOrdersConfig } from '../src/config';
import { PrismaClient } from '../src/generated/prisma/client';
import { startOrdersService } from '../src/server';

jest.mock('@shop/subgraph-kit', () => ({
  ...jest.requireActual('@shop/subgraph-kit'),
  startSubgraph: jest
    .fn()
    .mockRejectedValue(new Error('listen EADDRINUSE: address already in use')),
}));

afterEach(() => jest.restoreAllMocks());

it('closes the database and the subgraph clients when the subgraph cannot start', async () => {
  const disconnect = jest.spyOn(PrismaClient.prototype, '$disconnect');
  const close = jest.spyOn(SubgraphClient.prototype, 'close');
  const config = loadOrdersConfig({ LOG_LEVEL: 'silent', ORDERS_PORT: '0' });
  await expect(startOrdersService(config, createLogger('orders', 'silent'))).rejects.toThrow(
    'EADDRINUSE',
  );
  expect(disconnect).toHaveBeenCalledTimes(1);
  expect(close.mock.contexts.map((client) => (client as SubgraphClient).name).sort()).toEqual([
    'cart',
    'products',
    'users',
  ]);
});
