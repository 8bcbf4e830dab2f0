// Orders' fixtures as other workspaces' tests use them: import from '@shop/orders/testing'.
export * from './operations';
export * from './orders-service';
export * from './paypal-fake';
export * from './stack';
