// The router in a process of its own, configured by the JSON environment it is given.
// Announces, besides its URL, a small HTTP endpoint that answers the process's memory after
// a full garbage collection when the process runs with --expose-gc (the live-tracking
// benchmarks measure what an idle connection keeps, not the garbage not yet collected),
// and on /loop its event loop's delay since the last reading.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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
).then(async (router) => {
  // The event loop's delay since the last reading: a pause here delays every client's event.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // Garbage collection pauses since the last reading: the longest, and all of them summed.
  let pauses = { maxMs: 0, totalMs: 0, count: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses = {
        maxMs: Math.max(pauses.maxMs, entry.duration),
        totalMs: pauses.totalMs + entry.duration,
        count: pauses.count + 1,
      };
    }
  }).observe({ entryTypes: ['gc'] });
  const memory = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/loop') {
      res.end(
        JSON.stringify({ p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, gc: pauses }),
      );
      loop.reset();
      pauses = { maxMs: 0, totalMs: 0, count: 0 };
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
