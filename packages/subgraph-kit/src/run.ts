import { ConfigError } from '@shop/config';
import { createLogger, type Logger } from '@shop/logging';
import { startProcessMetrics } from '@shop/metrics';
import { stopTracing } from '@shop/telemetry';
import { startMetricsServer, type WorkerHealth } from './worker-health';

/** settings.metrics() (@shop/config); a config without them serves no metrics. */
interface MetricsSettings {
  METRICS_ENABLED?: boolean;
  METRICS_PORT?: number;
}

/**
 * The process metrics and GET /metrics on METRICS_PORT, before the service starts so that a
 * slow start can be watched; null when METRICS_ENABLED is false.
 */
async function startMetrics(
  name: string,
  config: MetricsSettings,
  logger: Logger,
): Promise<WorkerHealth | null> {
  if (!config.METRICS_ENABLED || config.METRICS_PORT === undefined) return null;
  startProcessMetrics(name);
  return startMetricsServer(config.METRICS_PORT, logger.child({ component: 'metrics' }));
}

/**
 * The `main` of every service: load the config (a ConfigError is printed as plain text,
 * for the person fixing the deployment, and exits 1), serve its metrics (METRICS_PORT),
 * start, and on SIGTERM / SIGINT (Kubernetes, docker compose, Ctrl-C) stop gracefully —
 * in-flight requests finish first, then the metrics listener closes.
 * A second signal gets Node's default behaviour: exit at once.
 */
export function runService<C extends { LOG_LEVEL: string } & MetricsSettings>(
  name: string,
  loadConfig: () => C,
  start: (config: C, logger: Logger) => Promise<{ stop: () => Promise<void> }>,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const logger = createLogger(name, config.LOG_LEVEL);
  // A promise nobody awaited must not end the process (Node's default since v15): one bad
  // request would take every other customer's request down with it. Log it loudly, with
  // its stack, and keep serving; the request that caused it has already been answered.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: something was not awaited)');
  });
  let metrics: WorkerHealth | null = null;
  startMetrics(name, config, logger)
    .then((server) => {
      metrics = server;
      return start(config, logger);
    })
    .then(
      (service) => {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          process.once(signal, () => {
            logger.info({ signal }, 'stopping: draining in-flight requests');
            service.stop().then(
              async () => {
                await metrics?.stop();
                // The last spans of the requests it just drained (docs/tracing.md).
                await stopTracing();
                process.exit(0);
              },
              (err: unknown) => {
                logger.error({ err }, 'did not stop cleanly');
                process.exit(1);
              },
            );
          });
        }
      },
      (err: unknown) => {
        logger.fatal({ err }, `${name} failed to start`);
        process.exit(1);
      },
    );
}
