import type { Logger } from '@shop/logging';
import { Queues } from './connection';
import { measureOutbox, measureQueues } from './metrics';
import { OutboxRelay, type OutboxDatabase } from './outbox-relay';

/** settings.queues() and, for a service with an outbox, settings.outbox() (@shop/config). */
export interface QueueWorkSettings {
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  OUTBOX_POLL_INTERVAL_MS?: number;
  OUTBOX_RELAY_ENABLED?: boolean;
  /** settings.metrics(): the queues' job counts and the outbox backlog, read on scrape. */
  METRICS_ENABLED?: boolean;
}

/**
 * A service's queue work: its workers (added by `workers`) and, given its database, its
 * outbox relay, over Redis connections of their own. Runs in the API process or in the
 * worker process (`npm run worker`) alike. stop() lets the relay finish its batch and the
 * workers their running jobs, then closes the connections.
 */
export function startQueueWork(
  settings: QueueWorkSettings,
  outbox: OutboxDatabase | null,
  logger: Logger,
  workers: (queues: Queues) => void = () => undefined,
): { stop: () => Promise<void> } {
  const queues = new Queues({ redisUrl: settings.REDIS_URL, prefix: settings.QUEUE_PREFIX });
  const relay = outbox
    ? new OutboxRelay(outbox, queues, logger, {
        intervalMs: settings.OUTBOX_POLL_INTERVAL_MS ?? 1000,
      })
    : null;
  workers(queues);
  const unmeasure = settings.METRICS_ENABLED
    ? [measureQueues(queues), ...(outbox ? [measureOutbox(outbox)] : [])]
    : [];
  if (relay && settings.OUTBOX_RELAY_ENABLED !== false) relay.start();
  else if (relay) {
    logger.warn('OUTBOX_RELAY_ENABLED=false: outbox rows are not published by this process');
  }
  return {
    stop: async () => {
      unmeasure.forEach((remove) => remove());
      await relay?.stop();
      await queues.close();
    },
  };
}
