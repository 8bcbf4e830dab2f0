import type http from 'node:http';
import type { ServiceMap } from '@apollo/gateway';
import type { ValidationRule } from 'graphql';
import type { TokenVerifier } from '@shop/auth';
import type { Logger } from '@shop/logging';
import type { RouterConfig } from '../config';
import { EntityBatcher } from './entity-batch';
import { SubscriptionGroups } from './group';
import { ConcurrencyLimit } from './limit';
import { SubscriptionPlanner } from './planner';
import { makeProtocolServer } from './server';
import { serveWebSocket } from './transport';
import { UpstreamPool } from './upstream';

export { UPSTREAM_LOST_MESSAGE } from './group';
export { NOT_A_SUBSCRIPTION_MESSAGE } from './planner';
export { RouterCloseReason } from './transport';

export type SubscriptionConfig = Pick<
  RouterConfig,
  | 'SUBSCRIPTION_KEEPALIVE_MS'
  | 'SUBSCRIPTION_MAX_BUFFERED_BYTES'
  | 'SUBSCRIPTIONS_PER_CONNECTION'
  | 'SUBSCRIPTION_UPSTREAM_SOCKETS'
  | 'SUBSCRIPTION_FAILOVER_MS'
  | 'SUBSCRIPTION_COMPLETION_CONCURRENCY'
  | 'SUBSCRIPTION_SNAPSHOT_FIELDS'
  | 'MAX_QUERY_TOKENS'
  | 'MAX_QUERY_COST'
  | 'QUERY_COST_LIST_SIZE'
  | 'MAX_BODY_BYTES'
  | 'NODE_ENV'
>;

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  config: SubscriptionConfig;
  verifier: TokenVerifier;
  logger: Logger;
  /** The supergraph the gateway serves; subscriptions are planned over the same one. */
  supergraphSdl: string;
  /** The router's depth and alias limits, applied to subscriptions as to HTTP operations. */
  validationRules: readonly ValidationRule[];
  /** Subgraph name → the HTTP URL the gateway calls; upstream sockets open ws:// on the same. */
  routingUrls: ReadonlyMap<string, string>;
  /** The gateway's data sources, so events are resolved as HTTP operations are. */
  serviceMap: ServiceMap;
  /** The client's address, through the same trusted proxies as HTTP requests. */
  clientIp: (request: http.IncomingMessage) => string;
}

export interface SubscriptionServer {
  /** Open client connections. */
  readonly connections: number;
  /** Subscription groups open now, and the client subscriptions they serve. */
  groups(): { groups: number; members: number };
  /** Per subgraph, the subscriptions each open upstream socket carries. */
  upstreamSockets(): Record<string, number[]>;
  /** Closes every client connection (1001) and its upstream sockets. */
  close(): Promise<void>;
}

/**
 * GraphQL subscriptions over graphql-ws on the router's own /graphql: the same URL and port
 * as HTTP, whose requests never see this code (only WebSocket upgrades do). See README.md.
 *
 * The parts, as graphql-ws separates `makeServer` from `use/ws`:
 * - transport.ts: the WebSocket — upgrade, keep-alive, slow-reader cut-off, shutdown;
 * - server.ts: the protocol — authentication, limits, planning (planner.ts), grouping;
 * - group.ts: client subscriptions with the same identity, document and variables share
 *   one upstream subscription and one resolution per event (resolve.ts);
 * - upstream.ts: a few sockets per subgraph carry every group's upstream subscription.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { config, logger } = options;
  const planner = new SubscriptionPlanner(options.supergraphSdl, {
    validationRules: options.validationRules,
    maxTokens: config.MAX_QUERY_TOKENS,
    hideSchemaDetails: config.NODE_ENV === 'production',
  });
  const upstream = new UpstreamPool({
    routingUrls: options.routingUrls,
    socketsPerSubgraph: config.SUBSCRIPTION_UPSTREAM_SOCKETS,
    keepAliveMs: config.SUBSCRIPTION_KEEPALIVE_MS,
    failoverMs: config.SUBSCRIPTION_FAILOVER_MS,
    log: logger,
  });
  const groups = new SubscriptionGroups({
    planner,
    serviceMap: options.serviceMap,
    batcher: new EntityBatcher(),
    upstream,
    resolving: new ConcurrencyLimit(config.SUBSCRIPTION_COMPLETION_CONCURRENCY),
    snapshotFields: new Set(config.SUBSCRIPTION_SNAPSHOT_FIELDS),
  });
  const server = makeProtocolServer({ config, verifier: options.verifier, planner, groups });
  const transport = serveWebSocket({
    httpServer: options.httpServer,
    config,
    logger,
    server,
    clientIp: options.clientIp,
  });

  return {
    get connections() {
      return transport.connections;
    },
    groups: () => groups.stats(),
    upstreamSockets: () => upstream.stats(),
    close: async () => {
      await transport.close();
      await upstream.close();
    },
  };
}
