// The router in a process of its own, configured by the JSON environment it is given.
// Announces, besides its URL, a small HTTP endpoint that answers the process's memory after
// a full garbage collection when the process runs with --expose-gc (the live-tracking
// benchmarks measure what an idle connection keeps, not the garbage not yet collected),
// and on /loop its event loop's delay since the last reading.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@shop/logging';
import { loadRouterConfig } from '../../../router/src/config';
import { startRouter } from '../../../router/src/server';
import { announce, childInput, stopOnSigterm } from './child';
import { loopMonitor } from './loop-monitor';

const env = childInput<Record<string, string>>();
// TEST_LOG_LEVEL, as for the subgraphs' fixtures: e.g. info, production's level.
const level = process.env.TEST_LOG_LEVEL ?? 'silent';
void startRouter(
  loadRouterConfig({ NODE_ENV: 'test', LOG_LEVEL: level, ROUTER_PORT: '0', ...env }),
  createLogger('router', level),
).then(async (router) => {
  // The event loop's delay since the last reading: a pause here delays every client's event.
  const loop = loopMonitor();
  const memory = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/loop') {
      res.end(JSON.stringify(loop.read()));
      return;
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    res.end(JSON.stringify({ collected: gc !== undefined, ...process.memoryUsage() }));
  });
  await new Promise<void>((resolve) => memory.listen(0, '127.0.0.1', resolve));
  stopOnSigterm(async () => {
    memory.close();
    await router.stop();
  });
  announce({
    url: router.url,
    memoryUrl: `http://127.0.0.1:${(memory.address() as AddressInfo).port}/`,
  });
});
