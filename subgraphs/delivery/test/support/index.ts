// Delivery's fixtures as other workspaces' tests and tools use them: import from
// '@shop/delivery/testing'.
export * from './delivery-service';
export * from './fake-carrier';
export * from './fake-orders';
export * from './operations';
export * from './stack';
