import './tracing';
import { runService } from '@shop/subgraph-kit';
import { loadNotificationsConfig } from './config';
import { startNotificationsService } from './server';

runService('notifications', () => loadNotificationsConfig(), startNotificationsService);
