export * from './registry';
export * from './scraped';
export * from './server';
export { type Counter, type Gauge, type Histogram } from 'prom-client';
