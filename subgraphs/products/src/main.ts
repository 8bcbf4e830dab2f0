import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadProductsConfig } from './config';
import { startProductsService } from './server';

runService('products', () => loadProductsConfig(), startProductsService);
