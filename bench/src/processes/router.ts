// The router in a process of its own, configured by the JSON environment it is given.
import { createLogger } from '@shop/logging';
import { loadRouterConfig } from '../../../router/src/config';
import { startRouter } from '../../../router/src/server';
import { announce, childInput, stopOnSigterm } from './child';

const env = childInput<Record<string, string>>();
void startRouter(
  loadRouterConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ROUTER_PORT: '0', ...env }),
  createLogger('router', 'silent'),
).then((router) => {
  stopOnSigterm(router.stop);
  announce({ url: router.url });
});
