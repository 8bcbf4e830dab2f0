import type { Logger } from '@shop/logging';
import { startQueueWork } from '@shop/queues';
import { startWorkerProcess, type Background, type WorkerHealth } from '@shop/subgraph-kit';
import type { DeliveryConfig } from '../config';
import { createDeliveryServices, type DeliveryServices } from '../wiring';
import { startDeliveryWorker } from './delivery-worker';

/**
 * The delivery queue's label worker and the outbox relay, over their own Redis connections.
 * The API process runs them too unless WORKERS_ENABLED=false (a separate worker Deployment).
 */
export function startDeliveryJobs(
  config: DeliveryConfig,
  services: Pick<DeliveryServices, 'prisma' | 'shipments' | 'tracking' | 'orders' | 'carrier'>,
  logger: Logger,
): Background {
  const { shipments, tracking, orders, carrier } = services;
  return startQueueWork(config, services.prisma, logger, (queues) =>
    startDeliveryWorker(
      queues,
      { shipments, tracking, orders, carrier },
      logger,
      config.DELIVERY_WORKER_CONCURRENCY,
    ),
  );
}

/** `npm run worker`: the jobs alone, with /healthz and /readyz on WORKER_PORT. */
export function startDeliveryWorkerProcess(
  config: DeliveryConfig,
  logger: Logger,
): Promise<WorkerHealth> {
  const services = createDeliveryServices(config, logger);
  return startWorkerProcess(
    {
      name: 'delivery-worker',
      logger,
      ready: async () => {
        await services.prisma.$queryRaw`SELECT 1`;
      },
      start: () => startDeliveryJobs(config, services, logger),
      close: services.close,
    },
    config.WORKER_PORT,
  );
}
