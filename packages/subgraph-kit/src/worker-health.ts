import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@shop/logging';
import { metricsHandler } from '@shop/metrics';
import { Closers } from './closers';

export interface WorkerHealthOptions {
  /** Named in the answers and the log, e.g. `orders-worker`. */
  name: string;
  logger: Logger;
  /** Throws when a store the workers need is unreachable; backs GET /readyz. */
  ready: () => Promise<void>;
}

export interface WorkerHealth {
  port: number;
  stop: () => Promise<void>;
}

/**
 * The only HTTP a worker process serves: GET /healthz (alive) and GET /readyz (its stores
 * answer), the same answers as a subgraph's, for Kubernetes probes. Everything else is 404:
 * a worker takes its work from the queues, never from a request.
 */
export async function startWorkerHealth(
  options: WorkerHealthOptions,
  port: number,
  host = '0.0.0.0',
): Promise<WorkerHealth> {
  const answer = (res: http.ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const health = await listenInternal(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        answer(res, 200, { status: 'ok', service: options.name });
      } else if (req.method === 'GET' && path === '/readyz') {
        options.ready().then(
          () => answer(res, 200, { status: 'ready', service: options.name }),
          (err: unknown) => {
            options.logger.warn({ err }, 'readiness check failed');
            answer(res, 503, {
              status: 'unavailable',
              service: options.name,
              error: (err as Error).message,
            });
          },
        );
      } else {
        const message = `${options.name} serves GET /healthz and GET /readyz only`;
        answer(res, 404, { errors: [{ message, extensions: { code: 'NOT_FOUND' } }] });
      }
    },
    port,
    host,
  );
  options.logger.info({ port: health.port }, `${options.name} health endpoints listening`);
  return health;
}

/**
 * An HTTP listener for what only the cluster may reach (probes, metrics): started once it
 * listens (a taken port rejects), stopped with its keep-alive connections closed.
 */
async function listenInternal(
  handler: http.RequestListener,
  port: number,
  host: string,
): Promise<WorkerHealth> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * GET /metrics (@shop/metrics) on a port of its own, never the service's public one: no
 * ingress or router route can publish it, and a NetworkPolicy can open it to the monitoring
 * namespace alone. runService starts it on METRICS_PORT.
 */
export async function startMetricsServer(
  port: number,
  logger: Logger,
  host = '0.0.0.0',
): Promise<WorkerHealth> {
  const server = await listenInternal(metricsHandler(logger), port, host);
  // Not `port` and "listening": those name the service's own port in its log.
  logger.info({ metricsPort: server.port }, 'GET /metrics served');
  return server;
}

/** Background work of a service: queue workers, an outbox relay. */
export interface Background {
  /** Running jobs and the relay's batch finish first. */
  stop: () => Promise<void>;
}

export interface BackgroundWorkOptions {
  /** WORKERS_ENABLED: false when a worker Deployment (`npm run worker`) runs the work. */
  enabled: boolean;
  /** Named in the log and in a failure to close: "the <name> runs in its own process". */
  name: string;
  logger: Logger;
  start: () => Background;
}

/**
 * Starts a service's background work in its API process, added to `closers` right away so it
 * stops before what it uses; or only says who runs it instead.
 */
export function startBackgroundWork(closers: Closers, options: BackgroundWorkOptions): void {
  if (!options.enabled) {
    options.logger.info(`WORKERS_ENABLED=false: the ${options.name} runs in its own process`);
    return;
  }
  const work = options.start();
  closers.add(options.name, () => work.stop());
}

export interface WorkerProcessOptions extends WorkerHealthOptions {
  /** Starts the workers; called once the health endpoints listen. */
  start: () => Background;
  /** Closes the stores and clients the workers used, after they have stopped. */
  close: () => Promise<void>;
}

/**
 * A service's worker process (`npm run worker`): its queue workers and outbox relay, and
 * the health endpoints for Kubernetes' probes. stop() (SIGTERM, through runService) lets the
 * running jobs finish, then closes everything.
 */
export async function startWorkerProcess(
  options: WorkerProcessOptions,
  port: number,
): Promise<WorkerHealth> {
  const closers = new Closers(options.logger);
  closers.add('stores', options.close);
  return closers.closeOnFailure(async () => {
    const health = await startWorkerHealth(options, port);
    closers.add('health endpoints', health.stop);
    // Running jobs and the relay's batch finish before the probes and the stores go.
    const background = options.start();
    closers.add('background work', () => background.stop());
    return { port: health.port, stop: () => closers.close() };
  });
}
