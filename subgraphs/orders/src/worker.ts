import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadOrdersConfig } from './config';
import { startOrdersWorkerProcess } from './jobs/start';

// The orders queue's worker and the outbox relay without the API (deploy/README.md).
runService('orders-worker', () => loadOrdersConfig(), startOrdersWorkerProcess);
