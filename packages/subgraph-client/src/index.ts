export { SubgraphClient, type CallOptions, type SubgraphClientOptions } from './client';
export { UpstreamUnavailableError } from './errors';
export type { GraphQLErrorBody, GraphQLResponse } from './graphql';
