// Products' fixtures as other workspaces' tests use them: import from '@shop/products/testing'.
export * from './client';
export * from './operations';
export * from './products-service';
