import { ConfigError } from '@shop/config';
import { createLogger } from '@shop/logging';
import { loadOrdersConfig } from './config';
import { startOrdersService } from './server';

async function main(): Promise<void> {
  const config = loadOrdersConfig();
  const logger = createLogger('orders', config.LOG_LEVEL);
  const service = await startOrdersService(config, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
