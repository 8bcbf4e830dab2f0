// Cart's fixtures as other workspaces' tests use them: import from '@shop/cart/testing'.
export * from './cart-service';
export * from './operations';
