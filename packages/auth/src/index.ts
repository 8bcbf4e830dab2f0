export * from './identity';
export * from './verifier';
export * from './guards';
export * from './service-token';
export * from './headers';
