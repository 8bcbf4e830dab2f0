export * from './jobs';
export * from './connection';
export { Job, UnrecoverableError, type Worker } from 'bullmq';
export * from './outbox-relay';
export * from './background';
export * from './metrics';
