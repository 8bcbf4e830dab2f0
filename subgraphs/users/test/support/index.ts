// Users' fixtures as other workspaces' tests use them: import from '@shop/users/testing'.
export * from './operations';
export * from './users-service';
