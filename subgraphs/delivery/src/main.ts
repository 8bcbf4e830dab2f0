import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadDeliveryConfig } from './config';
import { startDeliveryService } from './server';

runService('delivery', () => loadDeliveryConfig(), startDeliveryService);
