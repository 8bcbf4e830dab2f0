import { ConfigError } from '@shop/config';
import { createLogger } from '@shop/logging';
import { loadRouterConfig, type RouterConfig } from './config';
import { startRouter } from './server';

function loadConfigOrExit(): RouterConfig {
  try {
    return loadRouterConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Plain text, not JSON: the person reading it is fixing a deployment.
    console.error(error.message);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('router', config.LOG_LEVEL);
  const router = await startRouter(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'router failed to start');
    process.exit(1);
  });

  // Kubernetes and docker compose send SIGTERM; finish in-flight requests before exiting.
  // A second signal gets Node's default behaviour: exit at once.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping: draining in-flight requests');
      router.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'router did not stop cleanly');
          process.exit(1);
        },
      );
    });
  }
}

void main();
