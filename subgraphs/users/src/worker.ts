import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadUsersConfig } from './config';
import { startUsersWorkerProcess } from './jobs/start';

// The outbox relay without the API (deploy/README.md).
runService('users-worker', () => loadUsersConfig(), startUsersWorkerProcess);
