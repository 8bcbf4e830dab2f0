import type { Logger } from '@shop/logging';
import { startQueueWork } from '@shop/queues';
import { startWorkerProcess, type Background, type WorkerHealth } from '@shop/subgraph-kit';
import type { OrdersConfig } from '../config';
import { createOrdersServices, type OrdersServices } from '../wiring';
import { startOrdersWorker } from './orders-worker';

/**
 * The orders queue's worker and the outbox relay, over their own Redis connections. The API
 * process runs them too unless WORKERS_ENABLED=false (a separate worker Deployment).
 */
export function startOrdersJobs(
  config: OrdersConfig,
  services: Pick<OrdersServices, 'prisma' | 'lifecycle'>,
  logger: Logger,
): Background {
  return startQueueWork(config, services.prisma, logger, (queues) =>
    startOrdersWorker(queues, services.lifecycle, logger),
  );
}

/** `npm run worker`: the jobs alone, with /healthz and /readyz on WORKER_PORT. */
export function startOrdersWorkerProcess(
  config: OrdersConfig,
  logger: Logger,
): Promise<WorkerHealth> {
  const services = createOrdersServices(config, logger);
  return startWorkerProcess(
    {
      name: 'orders-worker',
      logger,
      ready: async () => {
        await services.prisma.$queryRaw`SELECT 1`;
      },
      start: () => startOrdersJobs(config, services, logger),
      close: services.close,
    },
    config.WORKER_PORT,
  );
}
