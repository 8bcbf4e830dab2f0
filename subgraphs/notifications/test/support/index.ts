// Notifications' fixtures as other workspaces' tests use them: import from
// '@shop/notifications/testing'.
export * from './notifications-service';
export * from './smtp';
export * from './stack';
