export * from './identity';
export * from './verifier';
export * from './guards';
