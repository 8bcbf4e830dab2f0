// The router in a process of its own, configured by the JSON environment it is given.
import { createLogger } from '@shop/logging';
import { loadRouterConfig } from '../../../router/src/config';
import { startRouter } from '../../../router/src/server';
import { announce, childInput, stopOnSigterm } from './child';

const env = childInput<Record<string, string>>();
// TEST_LOG_LEVEL, as for the subgraphs' fixtures: e.g. info, production's level.
const level = process.env.TEST_LOG_LEVEL ?? 'silent';
void startRouter(
  loadRouterConfig({ NODE_ENV: 'test', LOG_LEVEL: level, ROUTER_PORT: '0', ...env }),
  createLogger('router', level),
).then((router) => {
  stopOnSigterm(router.stop);
  announce({ url: router.url });
});
