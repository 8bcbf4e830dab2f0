import type { Logger } from '@shop/logging';
import { startQueueWork, type OutboxDatabase } from '@shop/queues';
import { startWorkerProcess, type Background, type WorkerHealth } from '@shop/subgraph-kit';
import type { UsersConfig } from '../config';
import { createPrisma } from '../store/prisma';

/**
 * The outbox relay: publishes the events users records with its writes (user.registered, …)
 * to BullMQ. The API process runs it too unless WORKERS_ENABLED=false (a separate worker
 * Deployment).
 */
export function startUsersJobs(
  config: UsersConfig,
  db: OutboxDatabase,
  logger: Logger,
): Background {
  return startQueueWork(config, db, logger);
}

/** `npm run worker`: the outbox relay alone, with /healthz and /readyz on WORKER_PORT. */
export function startUsersWorkerProcess(
  config: UsersConfig,
  logger: Logger,
): Promise<WorkerHealth> {
  const prisma = createPrisma(config.USERS_DATABASE_URL);
  return startWorkerProcess(
    {
      name: 'users-worker',
      logger,
      ready: async () => {
        await prisma.$queryRaw`SELECT 1`;
      },
      start: () => startUsersJobs(config, prisma, logger),
      close: () => prisma.$disconnect(),
    },
    config.WORKER_PORT,
  );
}
