import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadRouterConfig } from './config';
import { startRouter } from './server';

runService('router', () => loadRouterConfig(), startRouter);
