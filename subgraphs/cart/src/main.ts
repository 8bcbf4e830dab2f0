import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadCartConfig } from './config';
import { startCartService } from './server';

runService('cart', () => loadCartConfig(), startCartService);
