import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadUsersConfig } from './config';
import { startUsersService } from './server';

runService('users', () => loadUsersConfig(), startUsersService);
