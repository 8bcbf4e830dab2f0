// Another replica of a delivery service that is already running: the same database, Redis,
// queues and neighbours (its configuration, as the first one announced it), its own port.
import { createLogger } from '@shop/logging';
import { loadDeliveryConfig } from '../../../subgraphs/delivery/src/config';
import { startDeliveryService } from '../../../subgraphs/delivery/src/server';
import { announce, childInput, stopOnSigterm } from './child';

const { config } = childInput<{ config: Record<string, string> }>();

void (async () => {
  const level = process.env.TEST_LOG_LEVEL ?? 'silent';
  const service = await startDeliveryService(
    loadDeliveryConfig({ ...config, DELIVERY_PORT: '0' }),
    createLogger('delivery-replica', level),
  );
  stopOnSigterm(service.stop);
  announce({ url: service.url });
})();
