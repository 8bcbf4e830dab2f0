import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadNotificationsConfig } from './config';
import { startNotificationsWorkerProcess } from './jobs/start';

// The notifications queue's worker without the API (deploy/README.md).
runService(
  'notifications-worker',
  () => loadNotificationsConfig(),
  startNotificationsWorkerProcess,
);
