import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadOrdersConfig } from './config';
import { startOrdersService } from './server';

runService('orders', () => loadOrdersConfig(), startOrdersService);
