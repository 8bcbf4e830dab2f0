import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadDeliveryConfig } from './config';
import { startDeliveryWorkerProcess } from './jobs/start';

// The label worker and the outbox relay without the API (deploy/README.md).
runService('delivery-worker', () => loadDeliveryConfig(), startDeliveryWorkerProcess);
