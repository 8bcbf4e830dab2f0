export * from './postgres';
export * from './redis';
export * from './wait';
export * from './graphql';
export * from './mongo';
export * from './token-issuer';
export * from './subscriptions';
export * from './tcp-proxy';
